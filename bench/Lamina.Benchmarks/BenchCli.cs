using System.CommandLine;
using Lamina.Benchmarks.Async;
using Lamina.Benchmarks.ControlPlane;
using Lamina.Benchmarks.DataPlane;
using Lamina.Benchmarks.Durable;

namespace Lamina.Benchmarks;

/// <summary>
/// The benchmark verbs: <c>control-plane</c>, <c>async</c>, <c>data-plane</c> and <c>durable</c>, and the hidden
/// servers they launch (<c>echo-server</c>, <c>runtime-floor</c>).
/// </summary>
internal static class BenchCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Lamina benchmarks (run them through bench/run.sh).");
        root.Subcommands.Add(ControlPlaneCommand());
        root.Subcommands.Add(AsyncCommand());
        root.Subcommands.Add(DataPlaneCommands.DataPlane());
        root.Subcommands.Add(DurableCommand());
        root.Subcommands.Add(EchoServerCommand());
        root.Subcommands.Add(DataPlaneCommands.RuntimeFloor());
        return root;
    }

    private static Command ControlPlaneCommand()
    {
        var defaults = new ControlPlaneSettings();
        var functions = new Option<int>("--functions") { Description = "Functions created in each server", DefaultValueFactory = _ => defaults.Functions };
        var envVars = new Option<int>("--env-vars") { Description = "Environment variables per function (Lamina opens them on every read)", DefaultValueFactory = _ => defaults.EnvironmentVariables };
        var duration = new Option<double>("--duration") { Description = "Measured seconds per server and operation", DefaultValueFactory = _ => defaults.Duration.TotalSeconds };
        var warmup = new Option<double>("--warmup") { Description = "Unmeasured seconds before each measurement", DefaultValueFactory = _ => defaults.Warmup.TotalSeconds };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds the measured duration is split into", DefaultValueFactory = _ => defaults.Rounds };
        var workers = new Option<int>("--workers") { Description = "Concurrent closed-loop workers", DefaultValueFactory = _ => defaults.Workers };
        var connections = new Option<int>("--connections") { Description = "Keep-alive HTTP/1.1 connections (MaxConnectionsPerServer)", DefaultValueFactory = _ => defaults.Connections };
        var botoCalls = new Option<int>("--boto3-calls") { Description = "Sequential boto3 calls per operation and server (0 skips boto3)", DefaultValueFactory = _ => defaults.Boto3Calls };
        var serverCpu = new Option<string>("--server-cpus") { Description = "taskset CPU list for the servers ('' = no pinning)", DefaultValueFactory = _ => defaults.ServerCpus };
        var lamina = new Option<string?>("--lamina") { Description = "The lamina executable (default: artifacts/bin/Lamina/release/lamina)" };
        var targets = new Option<string>("--targets") { Description = "Comma-separated subset of echo,lamina,moto to load", DefaultValueFactory = _ => "echo,lamina,moto" };
        var docs = new Option<bool>("--write-docs") { Description = "Update the 'Control plane reads' section of docs/benchmarks.md", DefaultValueFactory = _ => true };

        var command = new Command("control-plane", "GetFunction and ListFunctions throughput and latency, Lamina beside moto_server.")
        {
            functions, envVars, duration, warmup, rounds, workers, connections, botoCalls, serverCpu, lamina, targets, docs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ControlPlaneSettings
            {
                Functions = parse.GetValue(functions),
                EnvironmentVariables = parse.GetValue(envVars),
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
                Rounds = Math.Max(1, parse.GetValue(rounds)),
                Workers = parse.GetValue(workers),
                Connections = parse.GetValue(connections),
                Boto3Calls = parse.GetValue(botoCalls),
                ServerCpus = parse.GetValue(serverCpu) ?? "",
                LaminaExecutable = parse.GetValue(lamina),
                Targets = [.. (parse.GetValue(targets) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                WriteDocs = parse.GetValue(docs),
            };
            return await ControlPlaneBenchmark.RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static Command AsyncCommand()
    {
        var defaults = new AsyncSettings();
        var duration = new Option<double>("--duration") { Description = "Measured seconds of saturated Event invocations", DefaultValueFactory = _ => defaults.Duration.TotalSeconds };
        var warmup = new Option<double>("--warmup") { Description = "Unmeasured seconds of the same load first (then drained)", DefaultValueFactory = _ => defaults.Warmup.TotalSeconds };
        var workers = new Option<int>("--workers") { Description = "Concurrent closed-loop workers (and SQLite writers in the floor)", DefaultValueFactory = _ => defaults.Workers };
        var connections = new Option<int>("--connections") { Description = "Keep-alive HTTP/1.1 connections (MaxConnectionsPerServer)", DefaultValueFactory = _ => defaults.Connections };
        var payload = new Option<int>("--payload-bytes") { Description = "Bytes of JSON per event", DefaultValueFactory = _ => defaults.PayloadBytes };
        var rate = new Option<double>("--paced-rate") { Description = "Events per second of the enqueue-to-start phase", DefaultValueFactory = _ => defaults.PacedRate };
        var pacedDuration = new Option<double>("--paced-duration") { Description = "Seconds of the paced phase", DefaultValueFactory = _ => defaults.PacedDuration.TotalSeconds };
        var floor = new Option<double>("--floor-duration") { Description = "Seconds of each raw SQLite commit loop", DefaultValueFactory = _ => defaults.FloorDuration.TotalSeconds };
        var drain = new Option<double>("--drain-timeout") { Description = "Seconds to wait for a phase's events to start", DefaultValueFactory = _ => defaults.DrainTimeout.TotalSeconds };
        var serverCpu = new Option<string>("--server-cpus") { Description = "taskset CPU list for Lamina and its sandboxes ('' = no pinning)", DefaultValueFactory = _ => defaults.ServerCpus };
        var lamina = new Option<string?>("--lamina") { Description = "The lamina executable (default: artifacts/bin/Lamina/release/lamina)" };
        var docs = new Option<bool>("--write-docs") { Description = "Update the 'Asynchronous invocation' section of docs/benchmarks.md", DefaultValueFactory = _ => true };

        var command = new Command("async", "Event invocations accepted per second against the store's raw commit rate, and enqueue-to-start latency.")
        {
            duration, warmup, workers, connections, payload, rate, pacedDuration, floor, drain, serverCpu, lamina, docs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new AsyncSettings
            {
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
                Workers = parse.GetValue(workers),
                Connections = parse.GetValue(connections),
                PayloadBytes = Math.Max(12, parse.GetValue(payload)),
                PacedRate = parse.GetValue(rate),
                PacedDuration = TimeSpan.FromSeconds(parse.GetValue(pacedDuration)),
                FloorDuration = TimeSpan.FromSeconds(parse.GetValue(floor)),
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                ServerCpus = parse.GetValue(serverCpu) ?? "",
                LaminaExecutable = parse.GetValue(lamina),
                WriteDocs = parse.GetValue(docs),
            };
            return await AsyncBenchmark.RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static Command DurableCommand()
    {
        var defaults = new DurableSettings();
        var steps = new Option<int>("--steps") { Description = "Sequential steps per execution in the per-step phase", DefaultValueFactory = _ => defaults.Steps };
        var rounds = new Option<int>("--rounds") { Description = "Per-step rounds (0-step and N-step execution plus N raw commits each)", DefaultValueFactory = _ => defaults.Rounds };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent executions in the throughput phase", DefaultValueFactory = _ => defaults.Concurrency };
        var concurrentSteps = new Option<int>("--concurrent-steps") { Description = "Steps per execution in the throughput phase", DefaultValueFactory = _ => defaults.ConcurrentSteps };
        var waits = new Option<int>("--waits") { Description = "Executions in the timer phase", DefaultValueFactory = _ => defaults.Waits };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of sequential executions before the per-step rounds (JIT tiering)", DefaultValueFactory = _ => defaults.Warmup.TotalSeconds };
        var serverCpu = new Option<string>("--server-cpus") { Description = "taskset CPU list for Lamina and its functions ('' = no pinning)", DefaultValueFactory = _ => defaults.ServerCpus };
        var lamina = new Option<string?>("--lamina") { Description = "The lamina executable (default: artifacts/bin/Lamina/release/lamina)" };
        var targets = new Option<string>("--targets") { Description = "Comma-separated subset of lamina,local to measure", DefaultValueFactory = _ => "lamina,local" };
        var docs = new Option<bool>("--write-docs") { Description = "Update the 'Durable functions' section of docs/benchmarks.md", DefaultValueFactory = _ => true };

        var command = new Command("durable", "Durable functions: per-step checkpoint cost against a raw commit, throughput, timer lateness; Lamina beside the SDK's local runner.")
        {
            steps, rounds, concurrency, concurrentSteps, waits, warmup, serverCpu, lamina, targets, docs,
        };
        command.SetAction(async (parse, cancellationToken) => await DurableBenchmark.RunAsync(new DurableSettings
        {
            Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
            Steps = parse.GetValue(steps),
            Rounds = Math.Max(1, parse.GetValue(rounds)),
            Concurrency = parse.GetValue(concurrency),
            ConcurrentSteps = parse.GetValue(concurrentSteps),
            Waits = parse.GetValue(waits),
            ServerCpus = parse.GetValue(serverCpu) ?? "",
            LaminaExecutable = parse.GetValue(lamina),
            Targets = [.. (parse.GetValue(targets) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            WriteDocs = parse.GetValue(docs),
        }, cancellationToken));
        return command;
    }

    private static Command EchoServerCommand()
    {
        var port = new Option<int>("--port") { Required = true };
        var command = new Command("echo-server", "A trivial Kestrel endpoint: measures what the load client can drive.") { Hidden = true };
        command.Options.Add(port);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await EchoServer.RunAsync(parse.GetValue(port), cancellationToken);
            return 0;
        });
        return command;
    }
}
