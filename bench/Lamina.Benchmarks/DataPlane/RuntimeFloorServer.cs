using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>
/// The runtime floor: the least a Lambda-like server can do to run the benchmark's functions. It is a
/// Kestrel endpoint the load client drives exactly as it drives Lamina, relaying each request body as an
/// event to a runtime process through a minimal Runtime API (no auth, no store, no logs, no isolation).
/// </summary>
/// <remarks>
/// Client endpoints (127.0.0.1):
/// <c>POST /invoke/RUNTIME</c> relays to an idle warm runtime, starting a bare one when none is idle;
/// <c>POST /cold/RUNTIME?sandbox=bwrap|none&amp;memory=MB</c> starts a fresh runtime (under bubblewrap or bare),
/// relays the event once, answers, then kills it, or with <c>keep=1</c> keeps it idle in a memory cgroup of its
/// own until <c>POST /release/RUNTIME</c>; <c>POST /exec/RUNTIME</c> runs the interpreter with nothing to do
/// (<c>python3 -c pass</c>). Runtime API endpoints: one loopback address per slot (see <see cref="FloorSlot"/>).
/// Child processes inherit this server's CPU pinning, as Lamina's sandboxes inherit Lamina's.
/// </remarks>
internal static class RuntimeFloorServer
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(20);

    /// <summary>Longer than any event the benchmark sends (a burst's sleep, a hog's burn).</summary>
    private static readonly TimeSpan RelayLimit = TimeSpan.FromMinutes(5);

    private sealed record FloorStart(BenchRuntime Runtime, FloorSandbox Sandbox, int MemoryMb, bool OwnCgroup);

    public static async Task RunAsync(int port, int slots, int memoryMb, string workDir, string runtimesDir, string? cgroupDir, string nodeMajor,
        CancellationToken cancellationToken)
    {
        var runtimes = BenchRuntime.All(nodeMajor).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var launcher = new FloorLauncher(workDir, runtimesDir, port, cgroupDir);
        foreach (var runtime in runtimes.Values)
        {
            runtime.WriteTo(launcher.CodeDir(runtime));
        }

        var table = new FloorSlot[slots];
        var free = new ConcurrentQueue<FloorSlot>();
        for (var i = 0; i < slots; i++)
        {
            table[i] = new FloorSlot(i);
            free.Enqueue(table[i]);
        }

        var idle = runtimes.Keys.ToDictionary(name => name, _ => new ConcurrentStack<FloorSlot>(), StringComparer.Ordinal);
        var kept = runtimes.Keys.ToDictionary(name => name, _ => new ConcurrentQueue<FloorSlot>(), StringComparer.Ordinal);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
            foreach (var slot in table)
            {
                kestrel.Listen(slot.Address, port);
            }
        });
        await using var app = builder.Build();
        app.Run(async context =>
        {
            var slotIndex = FloorSlot.IndexOf(context.Connection.LocalIpAddress);
            if (slotIndex >= 0)
            {
                await RuntimeApiAsync(context, table[slotIndex]);
                return;
            }

            var parts = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
            if (parts.Length != 2 || !runtimes.TryGetValue(parts[1], out var runtime))
            {
                context.Response.StatusCode = parts.Length == 0 ? 200 : 404;
                return;
            }

            switch (parts[0])
            {
                case "invoke":
                    await WarmInvokeAsync(context, new FloorStart(runtime, FloorSandbox.None, memoryMb, false), launcher, free, idle[runtime.Name]);
                    break;
                case "cold":
                    var query = context.Request.Query;
                    var keep = query["keep"] == "1";
                    var start = new FloorStart(runtime, query["sandbox"] == "bwrap" ? FloorSandbox.Bubblewrap : FloorSandbox.None,
                        int.TryParse(query["memory"], CultureInfo.InvariantCulture, out var mb) ? mb : memoryMb, keep);
                    await ColdInvokeAsync(context, start, launcher, free, keep ? kept[runtime.Name] : null);
                    break;
                case "release":
                    while (kept[runtime.Name].TryDequeue(out var slot))
                    {
                        await StopAsync(slot, free);
                    }

                    break;
                case "exec":
                    using (var process = FloorLauncher.StartInterpreterOnly(runtime))
                    {
                        await process.WaitForExitAsync(context.RequestAborted);
                        context.Response.StatusCode = process.ExitCode == 0 ? 200 : 500;
                    }

                    break;
                default:
                    context.Response.StatusCode = 404;
                    break;
            }
        });
        try
        {
            await app.RunAsync(cancellationToken);
        }
        finally
        {
            foreach (var slot in table)
            {
                Kill(slot.Process);
            }
        }
    }

    private static async Task WarmInvokeAsync(HttpContext context, FloorStart start, FloorLauncher launcher, ConcurrentQueue<FloorSlot> free,
        ConcurrentStack<FloorSlot> idle)
    {
        var payload = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (!idle.TryPop(out var slot))
        {
            slot = await StartAsync(start, launcher, free);
            if (slot is null)
            {
                context.Response.StatusCode = 503;
                return;
            }
        }

        try
        {
            await RelayAsync(context, slot, payload);
        }
        finally
        {
            idle.Push(slot);
        }
    }

    private static async Task ColdInvokeAsync(HttpContext context, FloorStart start, FloorLauncher launcher, ConcurrentQueue<FloorSlot> free,
        ConcurrentQueue<FloorSlot>? keep)
    {
        var payload = await ReadBodyAsync(context.Request, context.RequestAborted);
        var slot = await StartAsync(start, launcher, free);
        if (slot is null)
        {
            context.Response.StatusCode = 503;
            return;
        }

        try
        {
            await RelayAsync(context, slot, payload);
            await context.Response.CompleteAsync();
        }
        finally
        {
            if (keep is not null)
            {
                keep.Enqueue(slot);
            }
            else
            {
                await StopAsync(slot, free);
            }
        }
    }

    private static async Task StopAsync(FloorSlot slot, ConcurrentQueue<FloorSlot> free)
    {
        Kill(slot.Process);
        if (slot.Process is { } process)
        {
            await process.WaitForExitAsync(CancellationToken.None);
            process.Dispose();
        }

        slot.Reset();
        free.Enqueue(slot);
    }

    /// <summary>Starts a runtime on a free slot and waits for its first <c>/next</c>; null if it never got there.</summary>
    private static async Task<FloorSlot?> StartAsync(FloorStart start, FloorLauncher launcher, ConcurrentQueue<FloorSlot> free)
    {
        if (!free.TryDequeue(out var slot))
        {
            return null;
        }

        slot.Reset();
        slot.Process = launcher.Start(start.Runtime, slot, start.Sandbox, start.MemoryMb, start.OwnCgroup);
        var exited = slot.Process.WaitForExitAsync();
        var winner = await Task.WhenAny(slot.Ready.Task, exited, Task.Delay(StartLimit));
        if (winner == slot.Ready.Task)
        {
            return slot;
        }

        Kill(slot.Process);
        slot.Reset();
        free.Enqueue(slot);
        return null;
    }

    private static async Task RelayAsync(HttpContext context, FloorSlot slot, byte[] payload)
    {
        var invocation = new FloorInvocation(payload);
        slot.Deliver(invocation);
        var result = await invocation.Result.Task.WaitAsync(RelayLimit, context.RequestAborted);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = result.Length;
        await context.Response.Body.WriteAsync(result, context.RequestAborted);
    }

    /// <summary>The three Runtime API calls a runtime needs: next, response, error.</summary>
    private static async Task RuntimeApiAsync(HttpContext context, FloorSlot slot)
    {
        var path = context.Request.Path.Value ?? "";
        if (HttpMethods.IsGet(context.Request.Method) && path == "/2018-06-01/runtime/invocation/next")
        {
            var invocation = await slot.NextAsync(context.RequestAborted);
            slot.Current = invocation;
            var headers = context.Response.Headers;
            headers["Lambda-Runtime-Aws-Request-Id"] = invocation.RequestId;
            headers["Lambda-Runtime-Deadline-Ms"] = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000).ToString(CultureInfo.InvariantCulture);
            headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:000000000000:function:bench-floor";
            headers["Lambda-Runtime-Trace-Id"] = "Root=1-00000000-000000000000000000000000;Sampled=0";
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = invocation.Payload.Length;
            await context.Response.Body.WriteAsync(invocation.Payload, context.RequestAborted);
            return;
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (path.EndsWith("/response", StringComparison.Ordinal) || path.EndsWith("/error", StringComparison.Ordinal))
        {
            slot.Current?.Result.TrySetResult(body);
            context.Response.StatusCode = 202;
            return;
        }

        context.Response.StatusCode = 404;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } n and < 1 << 20 ? (int)n : 256);
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static void Kill(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
