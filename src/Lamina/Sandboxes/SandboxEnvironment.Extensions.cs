using System.Text.Json;
using System.Threading.Channels;
using Lamina.Core.Invoke;

namespace Lamina.Sandboxes;

internal sealed partial class SandboxEnvironment
{
    /// <summary>AWS allows at most 10 extensions per function (RIE core.MaxAgentsAllowed).</summary>
    public const int MaxExtensions = 10;

    /// <summary>External extensions get 2,000 ms to finish after SHUTDOWN (300 ms of it reserved for the runtime).</summary>
    private static readonly TimeSpan ShutdownBudget = TimeSpan.FromMilliseconds(2000);

    private readonly Dictionary<string, ExtensionState> _extensions = new(StringComparer.Ordinal);
    private int _expectedExtensions;

    private sealed class ExtensionState(string name, bool invoke, bool shutdown)
    {
        public string Name { get; } = name;
        public bool WantsInvoke { get; } = invoke;
        public bool WantsShutdown { get; } = shutdown;
        public bool CalledNext { get; set; }

        /// <summary>True from an event's delivery until the extension asks for the next one.</summary>
        public bool Busy { get; set; }

        public Channel<byte[]> Events { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    private TaskCompletionSource? _extensionsIdle;

    private void ResetExtensionsForInit()
    {
        _extensions.Clear();
        _extensionsIdle = null;
    }

    private bool ExtensionsReady() => _extensions.Count >= _expectedExtensions && _extensions.Values.All(e => e.CalledNext);

    /// <summary><c>POST /2020-01-01/extension/register</c>: only during Init, at most 10.</summary>
    public (string? Id, RuntimeApiReply Refusal) RegisterExtension(string name, bool invoke, bool shutdown)
    {
        lock (_lock)
        {
            if (_phase != Phase.Initializing)
            {
                return (null, RuntimeApiReply.InvalidState(_phase.ToString(), "ExtensionRegister"));
            }

            if (_extensions.Count >= MaxExtensions)
            {
                return (null, new RuntimeApiReply(400, "Extension.TooManyExtensions", $"Too many extensions registered: at most {MaxExtensions}."));
            }

            var id = Guid.NewGuid().ToString();
            _extensions[id] = new ExtensionState(name, invoke, shutdown);
            return (id, default);
        }
    }

    /// <summary><c>GET /2020-01-01/extension/event/next</c>: ends the extension's Init, then waits for INVOKE or SHUTDOWN.</summary>
    public async Task<(byte[]? Event, RuntimeApiReply Refusal)> ExtensionNextAsync(string id, CancellationToken cancellationToken)
    {
        ExtensionState? extension;
        lock (_lock)
        {
            if (!_extensions.TryGetValue(id, out extension))
            {
                return (null, new RuntimeApiReply(403, "Extension.UnknownExtensionIdentifier", "Unknown extension identifier."));
            }

            extension.CalledNext = true;
            extension.Busy = false;
            if (_phase == Phase.Initializing)
            {
                TryCompleteInit();
            }

            if (_extensions.Values.All(e => !e.Busy))
            {
                _extensionsIdle?.TrySetResult();
            }
        }

        try
        {
            var next = await extension.Events.Reader.ReadAsync(cancellationToken);
            return (next, default);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return (null, default);
        }
    }

    /// <summary><c>POST /2020-01-01/extension/init/error</c> fails Init; <c>exit/error</c> is logged.</summary>
    public RuntimeApiReply ExtensionError(string id, string? errorType, bool duringInit)
    {
        lock (_lock)
        {
            if (!_extensions.TryGetValue(id, out var extension))
            {
                return new RuntimeApiReply(403, "Extension.UnknownExtensionIdentifier", "Unknown extension identifier.");
            }

            if (duringInit && _phase == Phase.Initializing)
            {
                var type = errorType ?? "Extension.Unknown";
                _initSignal?.TrySetResult(new InitSignal(false, type,
                    InvocationResult.ErrorJson(type, $"Extension {extension.Name} reported an init error")));
            }
        }

        WritePlatformLine(null, $"EXTENSION Name: {ExtensionName(id)} State: {(duringInit ? "InitError" : "ExitError")} Error Type: {errorType}");
        return RuntimeApiReply.Accepted;
    }

    public string? ExtensionName(string id)
    {
        lock (_lock)
        {
            return _extensions.TryGetValue(id, out var e) ? e.Name : null;
        }
    }

    private void DeliverToExtensions(Invocation invocation)
    {
        if (_extensions.Count == 0)
        {
            return;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["eventType"] = "INVOKE",
            ["deadlineMs"] = invocation.Deadline.ToUnixTimeMilliseconds(),
            ["requestId"] = invocation.RequestId,
            ["invokedFunctionArn"] = invocation.InvokedFunctionArn,
            ["tracing"] = new Dictionary<string, string> { ["type"] = "X-Amzn-Trace-Id", ["value"] = invocation.TraceId },
        });
        _extensionsIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var extension in _extensions.Values.Where(e => e.WantsInvoke))
        {
            extension.Busy = true;
            extension.Events.Writer.TryWrite(json);
        }

        if (_extensions.Values.All(e => !e.Busy))
        {
            _extensionsIdle.TrySetResult();
        }
    }

    /// <summary>The Invoke phase ends when INVOKE-subscribed extensions have asked for their next event too.</summary>
    private async Task WaitForExtensionsAsync(TimeSpan limit)
    {
        Task? idle;
        lock (_lock)
        {
            idle = _extensionsIdle?.Task;
        }

        if (idle is not null && !idle.IsCompleted)
        {
            await Task.WhenAny(idle, Task.Delay(limit, _host.Time));
        }
    }

    private async Task SendShutdownToExtensionsAsync(string reason)
    {
        List<ExtensionState> targets;
        lock (_lock)
        {
            targets = _extensions.Values.Where(e => e.WantsShutdown).ToList();
            if (targets.Count == 0)
            {
                return;
            }

            _extensionsIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var deadline = _host.Time.GetUtcNow() + ShutdownBudget;
            var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["eventType"] = "SHUTDOWN",
                ["shutdownReason"] = reason == "timeout" ? "timeout" : reason == "failure" ? "failure" : "spindown",
                ["deadlineMs"] = deadline.ToUnixTimeMilliseconds(),
            });
            foreach (var extension in targets)
            {
                extension.Busy = true;
                extension.Events.Writer.TryWrite(json);
            }
        }

        await WaitForExtensionsAsync(ShutdownBudget);
    }
}
