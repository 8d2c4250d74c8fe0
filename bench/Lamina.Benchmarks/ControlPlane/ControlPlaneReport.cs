using System.Globalization;
using System.Text;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>Renders a run as the "Control plane reads" section of docs/benchmarks.md.</summary>
internal static class ControlPlaneReport
{
    public const string Heading = "## Control plane reads";

    private const string DocIntro =
        "# Benchmarks\n\n" +
        "Numbers produced by the harnesses in `bench/`. Each section is rewritten by its harness on every run " +
        "(`bench/run.sh <name>`), so it always shows the last run with the machine and commit it ran on.\n";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(ControlPlaneResults r)
    {
        var s = r.Settings;
        var m = r.Machine;
        var md = new StringBuilder();
        AppendLastRun(md, Heading, "control-plane", r.StartedAt, r.Took, m);
        md.Append("\n\n");
        md.Append(Inv, $"Machine: {m.Cpus} CPUs ({m.CpuModel}), {m.MemoryGiB:F0} GiB, {m.Os}; .NET {m.Dotnet}; ")
            .Append(Inv, $"moto {m.MotoVersion}, boto3 {m.Boto3Version}. The machine is shared, so runs vary by about ±15%.\n\n");

        md.Append("| Operation | Server | Throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | Server CPU | Client CPU | boto3 p50 (ms) | boto3 p99 (ms) |\n");
        md.Append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        foreach (var operation in ReadOperation.All.Select(o => o.Name))
        {
            foreach (var server in new[] { "Lamina", "moto" })
            {
                if (r.Find(operation, server) is not { } run)
                {
                    continue;
                }

                var boto = r.FindBoto3(operation, server);
                md.Append(Inv, $"| {operation} | {server} | {run.Throughput:N0} | {run.Latency.P50:F2} | {run.Latency.P90:F2} | {run.Latency.P99:F2} | ")
                    .Append(Inv, $"{Cores(run.ServerCpu)} | {Cores(run.ClientCpu)} | {Ms(boto?.Latency.P50)} | {Ms(boto?.Latency.P99)} |\n");
            }

            var lamina = r.Find(operation, "Lamina");
            var moto = r.Find(operation, "moto");
            var botoLamina = r.FindBoto3(operation, "Lamina");
            var botoMoto = r.FindBoto3(operation, "moto");
            if (lamina is not null && moto is not null)
            {
                md.Append(Inv, $"| {operation} | **Lamina / moto** | **{r.Ratio(operation):F1}x** | ")
                    .Append(Inv, $"{Faster(moto.Latency.P50, lamina.Latency.P50)} | {Faster(moto.Latency.P90, lamina.Latency.P90)} | ")
                    .Append(Inv, $"{Faster(moto.Latency.P99, lamina.Latency.P99)} | | | ")
                    .Append(Inv, $"{Faster(botoMoto?.Latency.P50, botoLamina?.Latency.P50)} | {Faster(botoMoto?.Latency.P99, botoLamina?.Latency.P99)} |\n");
            }
        }

        md.Append("\nIn the ratio rows, throughput is Lamina's divided by moto's and each latency is moto's divided by Lamina's (how many times lower Lamina's is).\n\n");

        md.Append("Client ceiling: the same client, settings and request shapes against a Kestrel endpoint that does no work ")
            .Append("and answers with as many bytes as Lamina does. A server well below this rate is what is being measured, not the client.\n\n");
        md.Append("| Request shape | Response (bytes) | Echo (req/s) | Echo server CPU | Client CPU | Lamina's rate as share of ceiling |\n");
        md.Append("|---|--:|--:|--:|--:|--:|\n");
        foreach (var operation in ReadOperation.All.Select(o => o.Name))
        {
            if (r.Find(operation, "echo") is { } echo)
            {
                var lamina = r.Find(operation, "Lamina");
                md.Append(Inv, $"| {operation} | {r.ResponseBytes.GetValueOrDefault($"Lamina/{operation}"):N0} | {echo.Throughput:N0} | ")
                    .Append(Inv, $"{Cores(echo.ServerCpu)} | {Cores(echo.ClientCpu)} | ")
                    .Append(lamina is null ? "" : (lamina.Throughput / echo.Throughput).ToString("P0", Inv)).Append(" |\n");
            }
        }

        md.Append("\nMethod:\n\n");
        md.Append(Inv, $"- One run starts Lamina (`lamina serve`, Release build, fresh data directory, SQLite store) and `moto_server` as child processes, ")
            .Append(Inv, $"creates the same {s.Functions} functions in each through the Lambda API (nodejs20.x, a 1-file zip, ")
            .Append(s.EnvironmentVariables == 0 ? "no environment variables" : $"{s.EnvironmentVariables} environment variables")
            .Append("), ")
            .Append(Inv, $"and checks that both return `{ControlPlaneSettings.ReadFunction}` from GetFunction and all functions from ListFunctions.\n");
        md.Append(Inv, $"- Operations: `GetFunction` on `{ControlPlaneSettings.ReadFunction}` (configuration, presigned code location, tags) and ")
            .Append(Inv, $"`ListFunctions` with `MaxItems={ControlPlaneSettings.ListPageSize}` (one page of {Math.Min(s.Functions, ControlPlaneSettings.ListPageSize)} configurations).\n");
        md.Append(Inv, $"- Load client (`bench/Lamina.Benchmarks`, C#): {s.Workers} closed-loop workers over {s.Connections} keep-alive HTTP/1.1 connections ")
            .Append("(one `SocketsHttpHandler`, `MaxConnectionsPerServer` = connections). Requests are SigV4-signed ahead with Lamina's signer into a pool ")
            .Append(Inv, $"that is re-signed in the background every {SignedRequestPool.ResignAfter.TotalMinutes:F0} minutes, inside the 5-minute window ")
            .Append(Inv, $"(re-signed {r.Resigns} times this run); Lamina verifies the full signature on every request, moto does not check it. ")
            .Append("Each response is read to the end; only HTTP 200s count.\n");
        md.Append(Inv, $"- Order: first a warm-up round, {s.Warmup.TotalSeconds:F0} s per server and operation (discarded), so Lamina's tiered JIT ")
            .Append("finishes optimizing while the other servers are loaded, as on a server that has been up for a while (on one core, tier-1 code ")
            .Append(Inv, $"takes tens of seconds to arrive under load). Then {s.Duration.TotalSeconds:F0} s measured per server and operation, split into ")
            .Append(Inv, $"{s.Rounds} interleaved rounds so a slow stretch of the shared machine falls on both servers. The echo server gets 2 s and 5 s.\n");
        md.Append("- Throughput is successful responses over wall time; latency is per request, from send to the last response byte, ")
            .Append("percentiles by nearest rank over every sample. Under a closed loop, latency is mostly queueing: about workers ÷ throughput. ")
            .Append("moto's rate hardly depends on the concurrency (checked when the harness was written: 4 workers on 4 connections gave about the same rate).\n");
        md.Append(Inv, $"- CPU pinning: the servers run under `taskset -c {(s.ServerCpus.Length > 0 ? s.ServerCpus : "(none)")}`, the client and boto3 ")
            .Append(Inv, $"on CPU(s) {m.ClientCpus}: each server is held to the same single core and never competes with the client ")
            .Append("(other tenants of a shared machine still can). ")
            .Append("moto is Python and uses one core at most anyway; pinning keeps Lamina to the same one core. ")
            .Append("Server and client CPU are process CPU time over wall time (1.00 = one core busy).\n");
        md.Append(Inv, $"- boto3: a sequential loop (`bench/boto3_reads.py`, {s.Boto3Calls} calls per operation and server after 20 warm-up calls, ")
            .Append("one connection); its latency includes boto3's own request building, signing and parsing, which is why a sequential boto3 caller ")
            .Append("tops out at a few hundred calls per second whatever the server.\n");
        return md.ToString();
    }

    /// <summary>A section's heading and its "Last run ... on commit ... by bench/run.sh VERB" sentence (no line break after it).</summary>
    public static void AppendLastRun(StringBuilder md, string heading, string verb, DateTimeOffset startedAt, TimeSpan took, MachineInfo m) =>
        md.Append(heading).Append("\n\n")
            .Append(Inv, $"Last run {startedAt:yyyy-MM-dd HH:mm} UTC on commit `{m.Commit}` by `bench/run.sh {verb}` ")
            .Append(Inv, $"(took {took.TotalSeconds:F0} s, build excluded).");

    /// <summary>
    /// <see cref="AppendLastRun"/> into a new builder, then the start of the machine line (ends after the .NET version,
    /// for the section to name its peers).
    /// </summary>
    public static StringBuilder Header(string heading, string verb, DateTimeOffset startedAt, TimeSpan took, MachineInfo m)
    {
        var md = new StringBuilder();
        AppendLastRun(md, heading, verb, startedAt, took, m);
        md.Append("\n\n").Append(Inv, $"Machine: {m.Cpus} CPUs ({m.CpuModel}), {m.MemoryGiB:F0} GiB, {m.Os}; .NET {m.Dotnet}; ");
        return md;
    }

    /// <summary>Replaces the section (up to the next level-2 heading) in the document, or appends it.</summary>
    public static void UpdateDocs(string path, string section) => UpdateDocs(path, Heading, section);

    /// <summary>Replaces the section starting at <paramref name="heading"/> (up to the next level-2 heading), or appends it.</summary>
    public static void UpdateDocs(string path, string heading, string section)
    {
        var doc = File.Exists(path) ? File.ReadAllText(path) : DocIntro;
        var start = doc.IndexOf(heading + "\n", StringComparison.Ordinal);
        if (start < 0)
        {
            doc = doc.TrimEnd('\n') + "\n\n" + section;
        }
        else
        {
            var next = doc.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
            doc = doc[..start] + section + (next < 0 ? "" : "\n" + doc[(next + 1)..]);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, doc.TrimEnd('\n') + "\n");
    }

    private static string Cores(double? value) => value is { } v ? v.ToString("F2", Inv) : "";

    private static string Ms(double? value) => value is { } v ? v.ToString("F2", Inv) : "";

    private static string Faster(double? slower, double? faster) =>
        slower is { } a && faster is { } b && b > 0 ? (a / b).ToString("F1", Inv) + "x" : "";
}
