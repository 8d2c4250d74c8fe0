using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>One operation's sequential boto3 latencies against one server.</summary>
internal sealed record Boto3Result(string Operation, int Calls, LatencySummary Latency)
{
    /// <summary>Calls per second of the sequential loop (one call at a time).</summary>
    public double Rate => Latency.Mean <= 0 ? 0 : 1000.0 / Latency.Mean;
}

/// <summary>
/// Runs bench/boto3_reads.py: a plain sequential boto3 loop, the way most SDK callers use a server.
/// It inherits this process's CPU affinity, so it runs on the client core like the load client.
/// </summary>
internal static class Boto3Loop
{
    public static async Task<IReadOnlyList<Boto3Result>> RunAsync(RepoPaths repo, ServerUnderTest server, int calls, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     repo.Boto3Script, "--endpoint", server.Endpoint.ToString().TrimEnd('/'), "--access-key", server.Credentials.AccessKeyId,
                     "--secret", server.Credentials.SecretAccessKey, "--region", server.Credentials.Region,
                     "--function", ControlPlaneSettings.ReadFunction, "--calls", calls.ToString(CultureInfo.InvariantCulture),
                     "--page", ControlPlaneSettings.ListPageSize.ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        // Keep the caller's own AWS configuration out of the measurement.
        info.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        info.Environment.Remove("AWS_PROFILE");
        info.Environment.Remove("AWS_ENDPOINT_URL");

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start python3.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"boto3 loop against {server.Name} failed ({process.ExitCode}): {await stderr}");
        }

        using var json = JsonDocument.Parse(await stdout);
        var results = new List<Boto3Result>();
        foreach (var operation in json.RootElement.EnumerateObject())
        {
            var samples = operation.Value.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            results.Add(new Boto3Result(operation.Name, samples.Length, LatencySummary.FromMilliseconds(samples)));
        }

        return results;
    }
}
