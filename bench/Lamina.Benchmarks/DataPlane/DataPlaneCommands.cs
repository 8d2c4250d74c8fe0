using System.CommandLine;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>The <c>data-plane</c> verb, and the hidden <c>runtime-floor</c> server it launches.</summary>
internal static class DataPlaneCommands
{
    public static Command DataPlane()
    {
        var defaults = new DataPlaneSettings();
        var runtimes = new Option<string>("--runtimes") { Description = "Comma-separated runtimes to measure (provided, nodejs)", DefaultValueFactory = _ => string.Join(',', defaults.Runtimes) };
        var concurrency = new Option<string>("--concurrency") { Description = "Comma-separated closed-loop worker counts for warm invokes", DefaultValueFactory = _ => string.Join(',', defaults.Concurrency) };
        var duration = new Option<double>("--duration") { Description = "Measured seconds per target (warm invokes; also each neighbour measurement)", DefaultValueFactory = _ => defaults.Duration.TotalSeconds };
        var warmup = new Option<double>("--warmup") { Description = "Unmeasured seconds per warm-invoke target first", DefaultValueFactory = _ => defaults.Warmup.TotalSeconds };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds the measured duration is split into", DefaultValueFactory = _ => defaults.Rounds };
        var memory = new Option<int>("--memory") { Description = "MemorySize (MB) of the warm, cold-start and victim functions", DefaultValueFactory = _ => defaults.MemoryMb };
        var coldSamples = new Option<int>("--cold-samples") { Description = "Forced cold starts per runtime", DefaultValueFactory = _ => defaults.ColdSamples };
        var burst = new Option<int>("--burst") { Description = "Concurrent invocations that each need a new environment", DefaultValueFactory = _ => defaults.Burst };
        var burstMemory = new Option<int>("--burst-memory") { Description = "MemorySize (MB) of the burst function", DefaultValueFactory = _ => defaults.BurstMemoryMb };
        var hogs = new Option<string>("--hogs") { Description = "Neighbour scenarios COUNTxMEMORY, comma-separated ('' skips)", DefaultValueFactory = _ => string.Join(',', defaults.Hogs) };
        var serverCpu = new Option<string>("--server-cpus") { Description = "taskset CPU list for the servers and their runtimes ('' = no pinning)", DefaultValueFactory = _ => defaults.ServerCpus };
        var lamina = new Option<string?>("--lamina") { Description = "The lamina executable (default: artifacts/bin/Lamina/release/lamina)" };
        var docs = new Option<bool>("--write-docs") { Description = "Update the data-plane section of docs/benchmarks.md", DefaultValueFactory = _ => true };

        var command = new Command("data-plane", "Warm invoke overhead, cold starts, environment creation and memory, neighbour isolation; Lamina beside floors.")
        {
            runtimes, concurrency, duration, warmup, rounds, memory, coldSamples, burst, burstMemory, hogs, serverCpu, lamina, docs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new DataPlaneSettings
            {
                Runtimes = List(parse.GetValue(runtimes)),
                Concurrency = [.. List(parse.GetValue(concurrency)).Select(int.Parse)],
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
                Rounds = Math.Max(1, parse.GetValue(rounds)),
                MemoryMb = parse.GetValue(memory),
                ColdSamples = Math.Max(1, parse.GetValue(coldSamples)),
                Burst = Math.Max(1, parse.GetValue(burst)),
                BurstMemoryMb = parse.GetValue(burstMemory),
                Hogs = [.. List(parse.GetValue(hogs)).Select(HogScenario.Parse)],
                ServerCpus = parse.GetValue(serverCpu) ?? "",
                LaminaExecutable = parse.GetValue(lamina),
                WriteDocs = parse.GetValue(docs),
            };
            return await DataPlaneBenchmark.RunAsync(settings, cancellationToken);
        });
        return command;
    }

    public static Command RuntimeFloor()
    {
        var port = new Option<int>("--port") { Required = true };
        var slots = new Option<int>("--slots") { DefaultValueFactory = _ => 64 };
        var memory = new Option<int>("--memory") { DefaultValueFactory = _ => 1769 };
        var work = new Option<string>("--work") { Required = true };
        var runtimes = new Option<string>("--runtimes") { Required = true };
        var cgroupDir = new Option<string?>("--cgroup-dir");
        var nodeMajor = new Option<string>("--node-major") { DefaultValueFactory = _ => "20" };
        var command = new Command("runtime-floor", "The least a Lambda-like server can do: relays events to runtime processes.") { Hidden = true };
        foreach (var option in new Option[] { port, slots, memory, work, runtimes, cgroupDir, nodeMajor })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            await RuntimeFloorServer.RunAsync(parse.GetValue(port), parse.GetValue(slots), parse.GetValue(memory), parse.GetValue(work)!,
                parse.GetValue(runtimes)!, parse.GetValue(cgroupDir), parse.GetValue(nodeMajor)!, cancellationToken);
            return 0;
        });
        return command;
    }

    private static List<string> List(string? text) => [.. (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
