using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lamina.Benchmarks.ControlPlane;
using Lamina.Core.Functions;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>
/// Data-plane costs, Target.Lamina beside floors that do the least the same job can take, in one run.
/// </summary>
/// <remarks>
/// (1) Start Target.Lamina (fresh data dir), the Kestrel echo server and the runtime floor as child processes
///     pinned to <see cref="DataPlaneSettings.ServerCpus"/>; this process is the client. Lamina runs in a
///     memory cgroup of its own (a child of the harness's), so its growth per environment can be read.
/// (2) Create an execution role (IAM CreateRole) and the functions in Target.Lamina; check one invoke of each
///     warm function and one relay through the floor answer the event unchanged.
/// (3) Warm invokes: per runtime and concurrency, echo / floor / Target.Lamina under the same closed loop,
///     warmed up first, then measured in interleaved rounds.
/// (4) Cold starts: a new $LATEST revision (an environment variable changed) before each Target.Lamina invoke,
///     interleaved with fresh runtime processes from the floor (bubblewrap, bare, interpreter only).
/// (5) Per runtime, a burst of concurrent sleeping invocations that each need a new environment, in Target.Lamina
///     and in the floor; then the memory of idle environments against bare runtime processes.
/// (6) Neighbours: the warm function at concurrency 1 without and with CPU-burning environments of another function.
/// (7) Print the report, keep the raw results under bench/results, update docs/benchmarks.md.
/// </remarks>
internal sealed partial class DataPlaneBenchmark : IDisposable
{
    /// <summary>Lets the retired environment's teardown (cgroup kill, /tmp unmount) finish before the next cold start.</summary>
    private static readonly TimeSpan ColdSettle = TimeSpan.FromMilliseconds(400);

    /// <summary>How long the hogs get to start (a cold start each, the first round) before the victim is measured.</summary>
    private static readonly TimeSpan HogStart = TimeSpan.FromSeconds(3);

    private readonly DataPlaneSettings _settings;
    private readonly IReadOnlyList<BenchRuntime> _runtimes;
    private readonly ServerUnderTest _lamina;
    private readonly ServerUnderTest _echo;
    private readonly ServerUnderTest _floor;
    private readonly LaminaFunctions _functions;
    private readonly string? _serverCgroup;
    private readonly string? _floorCgroup;
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    private DataPlaneBenchmark(DataPlaneSettings settings, IReadOnlyList<BenchRuntime> runtimes, ServerUnderTest lamina, ServerUnderTest echo,
        ServerUnderTest floor, string? serverCgroup, string? floorCgroup)
    {
        _settings = settings;
        _runtimes = runtimes;
        _lamina = lamina;
        _echo = echo;
        _floor = floor;
        _functions = new LaminaFunctions(lamina);
        _serverCgroup = serverCgroup;
        _floorCgroup = floorCgroup;
    }

    private static string WarmFunction(BenchRuntime runtime) => "bench-warm-" + runtime.Name;

    private static string ColdFunction(BenchRuntime runtime) => "bench-cold-" + runtime.Name;

    private static string BurstFunction(BenchRuntime runtime) => "bench-burst-" + runtime.Name;

    private static string HogFunction(int memoryMb) => "bench-hog-" + memoryMb.ToString(CultureInfo.InvariantCulture);

    public static async Task<int> RunAsync(DataPlaneSettings settings, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Say("Lamina needs root for its sandboxes (cgroups, network namespaces, loop-mounted /tmp); run the data-plane benchmark as root.");
            return 2;
        }

        var nodeRuntime = RuntimeCatalog.Detect().Names.FirstOrDefault(n => n.StartsWith("nodejs", StringComparison.Ordinal));
        var nodeMajor = nodeRuntime?["nodejs".Length..].TrimEnd('x').TrimEnd('.') ?? "20";
        var runtimes = BenchRuntime.All(nodeMajor).Where(r => settings.Runtimes.Contains(r.Name)).ToList();
        if (runtimes.Count == 0 || (runtimes.Any(r => r.Name == "nodejs") && nodeRuntime is null))
        {
            Say($"No runtime to measure: asked for {string.Join(',', settings.Runtimes)}; node on this host: {nodeRuntime ?? "none"}.");
            return 2;
        }

        var run = await BenchmarkRun.StartAsync("lamina-bench-data-", cancellationToken);
        var (startedAt, clock, repo, machine, workDir) = run;
        // CreateTempSubdirectory makes it 0700; the floor's sandboxed runtimes run as uid 993 and read their code under it.
        File.SetUnixFileMode(workDir, (UnixFileMode)Convert.ToInt32("755", 8));
        Say($"Client on CPU(s) {machine.ClientCpus}; servers and their runtimes on CPU(s) {(settings.ServerCpus.Length > 0 ? settings.ServerCpus : "any (not pinned)")}. " +
            $"Logs in {workDir}.");

        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var ownCgroup = Procfs.CgroupDir(Environment.ProcessId, "memory");
        var serverCgroup = ownCgroup is null ? null : CgroupMemory.TryCreateChild(ownCgroup, "lamina-bench-server-" + self);
        var floorCgroup = CgroupMemory.TryCreateTopLevel("lamina-bench-floor-" + self);
        ServerUnderTest? lamina = null, echo = null, floor = null;
        try
        {
            var serverSettings = new ControlPlaneSettings { ServerCpus = settings.ServerCpus, LaminaExecutable = settings.LaminaExecutable };
            var floorArguments = new List<string>
            {
                "--slots", (settings.Concurrency.Max() * runtimes.Count + settings.Burst + 8).ToString(CultureInfo.InvariantCulture),
                "--memory", settings.MemoryMb.ToString(CultureInfo.InvariantCulture),
                "--work", Path.Combine(workDir, "floor"),
                "--runtimes", Path.Combine(repo.Root, "runtimes"),
                "--node-major", nodeMajor,
            };
            if (floorCgroup is not null)
            {
                floorArguments.AddRange(["--cgroup-dir", floorCgroup]);
            }

            var starting = Stopwatch.StartNew();
            var laminaStart = ServerLauncher.StartLaminaAsync(repo, serverSettings, workDir, cancellationToken);
            var echoStart = ServerLauncher.StartEchoAsync(serverSettings, workDir, cancellationToken);
            var floorStart = ServerLauncher.StartSelfAsync("floor", "runtime-floor", floorArguments, settings.ServerCpus, workDir, cancellationToken);
            await Task.WhenAll(Quietly(laminaStart), Quietly(echoStart), Quietly(floorStart));
            lamina = laminaStart.IsCompletedSuccessfully ? laminaStart.Result : null;
            echo = echoStart.IsCompletedSuccessfully ? echoStart.Result : null;
            floor = floorStart.IsCompletedSuccessfully ? floorStart.Result : null;
            await Task.WhenAll(laminaStart, echoStart, floorStart);
            var cgroups = serverCgroup is not null && CgroupMemory.TryMove(serverCgroup, lamina!.Process.Pid)
                ? $"Lamina in {serverCgroup}"
                : "Lamina's own cgroup unavailable (server growth from its RSS only)";
            Say($"Started Lamina at {lamina!.Endpoint}, echo at {echo!.Endpoint}, floor at {floor!.Endpoint} ({starting.Elapsed.TotalSeconds:F1} s); {cgroups}.");

            using var bench = new DataPlaneBenchmark(settings, runtimes, lamina, echo, floor,
                cgroups.StartsWith("Lamina in", StringComparison.Ordinal) ? serverCgroup : null, floorCgroup);
            var results = await bench.MeasureAsync(startedAt, clock, machine, cgroups, cancellationToken);
            run.Publish("data-plane", results, DataPlaneReport.Markdown(results), DataPlaneReport.Heading, settings.WriteDocs);
            return run.Finish(results.TotalErrors > 0 ? $"{results.TotalErrors} requests failed" : null);
        }
        finally
        {
            foreach (var server in new[] { lamina, echo, floor })
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }

            foreach (var group in new[] { serverCgroup, floorCgroup })
            {
                if (group is not null)
                {
                    CgroupMemory.Remove(group);
                }
            }

            run.DeleteWorkDirIfValid();
        }
    }

    private async Task<DataPlaneResults> MeasureAsync(DateTimeOffset startedAt, Stopwatch clock, MachineInfo machine, string cgroups,
        CancellationToken cancellationToken)
    {
        // (2)
        await _functions.CreateRoleAsync(cancellationToken);
        foreach (var runtime in _runtimes)
        {
            await _functions.CreateAsync(WarmFunction(runtime), runtime, _settings.MemoryMb, 30, cancellationToken);
            await _functions.CreateAsync(ColdFunction(runtime), runtime, _settings.MemoryMb, 30, cancellationToken);
            await _functions.CreateAsync(BurstFunction(runtime), runtime, _settings.BurstMemoryMb, 60, cancellationToken);
        }

        foreach (var hogMemory in _settings.Hogs.Select(h => h.MemoryMb).Distinct())
        {
            await _functions.CreateAsync(HogFunction(hogMemory), _runtimes[0], hogMemory, 120, cancellationToken);
        }

        var responseBytes = await VerifyAsync(cancellationToken);

        // (3) to (6)
        var warm = await WarmAsync(responseBytes, cancellationToken);
        var cold = await ColdAsync(cancellationToken);
        var bursts = new List<BurstRun>();
        var memory = new List<MemoryRow>();
        foreach (var runtime in _runtimes)
        {
            var (laminaBurst, floorBurst, row) = await BurstAndMemoryAsync(runtime, cancellationToken);
            bursts.Add(laminaBurst);
            bursts.Add(floorBurst);
            memory.Add(row);
        }

        var neighbours = await NeighboursAsync(cancellationToken);
        return new DataPlaneResults(startedAt, clock.Elapsed, _settings, machine, cgroups,
            _runtimes.ToDictionary(r => r.Name, r => r.LaminaRuntime), warm, responseBytes, cold, bursts, memory, neighbours);
    }

    public void Dispose()
    {
        _functions.Dispose();
        _http.Dispose();
    }

    /// <summary>One invoke per warm function and one floor relay each must answer the event unchanged; returns the response sizes.</summary>
    private async Task<Dictionary<string, int>> VerifyAsync(CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        var expected = JsonDocumentText(BenchRuntime.EchoEvent);
        foreach (var runtime in _runtimes)
        {
            var (body, _) = await _functions.InvokeAsync(WarmFunction(runtime), BenchRuntime.EchoEvent, tailLog: false, cancellationToken);
            var relayed = await PostAsync(FloorUrl("invoke", runtime), BenchRuntime.EchoEvent, cancellationToken);
            if (JsonDocumentText(body) != expected || JsonDocumentText(relayed) != expected)
            {
                throw new InvalidOperationException($"{runtime.Name}: Lamina answered {System.Text.Encoding.UTF8.GetString(body)} and the floor " +
                                                    $"{System.Text.Encoding.UTF8.GetString(relayed)}; both should echo the event.");
            }

            sizes[runtime.Name] = body.Length;
        }

        Say($"Functions created and answering; response sizes {string.Join(", ", sizes.Select(kv => $"{kv.Key} {kv.Value} B"))}.");
        return sizes;
    }

    private static string JsonDocumentText(byte[] json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);

    private Uri FloorUrl(string verb, BenchRuntime runtime, string query = "") => new(_floor.Endpoint, $"/{verb}/{runtime.Name}{query}");

    private async Task<byte[]> PostAsync(Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        using var response = await _http.PostAsync(url, content, cancellationToken);
        var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return response.IsSuccessStatusCode
            ? answer
            : throw new InvalidOperationException($"POST {url} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(answer)}");
    }

    private static Task Quietly(Task task) => ControlPlaneBenchmark.Quietly(task);

    private static void Say(string line) => BenchmarkRun.Say(line);
}
