using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Lamina.Benchmarks.Durable;

/// <summary>
/// Runs one phase of bench/durable/local-runner.mjs: the same handler under the SDK testing package's
/// LocalDurableTestRunner, in a Node process on the client's CPUs. Returns the JSON it prints.
/// </summary>
internal static class LocalRunner
{
    public static async Task<JsonNode> RunAsync(string benchDurableDir, JsonObject phase, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = benchDurableDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("local-runner.mjs");
        info.ArgumentList.Add(phase.ToJsonString());
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-runner.mjs {phase.ToJsonString()} exited {process.ExitCode}:\n{await stderr}");
        }

        // The SDK may log to stdout; the result is the last line.
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        return JsonNode.Parse(last)!;
    }
}
