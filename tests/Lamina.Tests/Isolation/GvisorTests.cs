using System.Globalization;
using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.Isolation;

/// <summary>
/// The gVisor tier (<c>--sandbox gvisor</c>): functions created and invoked with the real AWS CLI run inside runsc
/// with the bubblewrap tier's view of the host, in their environment's cgroup and network namespace, and leave
/// no runsc process or state behind after a reset or shutdown.
/// </summary>
public sealed class GvisorTests(GvisorLaminaFixture fixture) : IClassFixture<GvisorLaminaFixture>, IDisposable
{
    private const string Probe = """
        import os, platform, time
        def attempt(fn):
            try:
                return {'ok': True, 'value': fn()}
            except OSError as e:
                return {'ok': False, 'errno': e.errno}
        def handler(event, context):
            if event.get('sleep'):
                time.sleep(event['sleep'])
            if event.get('allocateMb'):
                block = bytearray(event['allocateMb'] * 1024 * 1024)
                for i in range(0, len(block), 4096):
                    block[i] = 1
            mounts = {}
            for line in open('/proc/mounts'):
                parts = line.split()
                mounts[parts[1]] = {'type': parts[2], 'options': parts[3].split(',')}
            status = dict(l.rstrip('\n').split(':\t', 1) for l in open('/proc/self/status') if ':\t' in l)
            return {
                'sum': sum(event.get('numbers', [])),
                'procVersion': open('/proc/version').read().strip(),
                'hostname': platform.node(),
                'mounts': mounts,
                'status': {k: status.get(k) for k in ('Uid', 'CapEff', 'CapBnd', 'Seccomp')},
                'writeTask': attempt(lambda: open('/var/task/new.txt', 'w').write('x')),
                'writeOpt': attempt(lambda: open('/opt/new.txt', 'w').write('x')),
                'writeTmp': attempt(lambda: open('/tmp/new.txt', 'w').write('x')),
                'tmpOwner': os.stat('/tmp').st_uid,
                'reads': {p: attempt(lambda p=p: open(p).read(64)) for p in event.get('hostFiles', [])},
                'env': {k: os.environ.get(k) for k in ('AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'STAGE', 'AWS_ENDPOINT_URL', 'AWS_SESSION_TOKEN')},
            }
        """;

    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-gvisor");

    public void Dispose() => TempDirs.Delete(_dir);

    private async Task CreateAsync(string name, int timeoutSeconds = 30, int memoryMb = 512)
    {
        await _cli.JsonAsync(["lambda", "create-function", "--function-name", name, "--runtime", MatrixFunctions.Runtime(fixture, "python"),
            "--role", Role, "--handler", "index.handler", "--zip-file", FileB(_dir, name + ".zip", Zips.Of(("index.py", Probe))),
            "--timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture), "--memory-size", memoryMb.ToString(CultureInfo.InvariantCulture),
            "--environment", "Variables={STAGE=gvisor}"]);
    }

    [Fact]
    public async Task Invoke_PythonWithAwsCli_RunsInsideGvisorWithTheSandboxView()
    {
        await CreateAsync("gv-probe");
        var data = fixture.DataDir;
        string[] hostFiles = ["/etc/shadow", Path.Combine(data, "master.key"), Path.Combine(data, "lamina.db"), "/proc/1/root/etc/shadow"];

        var invoke = await _cli.InvokeAsync("gv-probe", new { numbers = new[] { 20, 22 }, hostFiles });

        Assert.True(invoke.StatusCode == 200 && invoke.FunctionError is null, invoke.ToString());
        var result = invoke.Json;
        Assert.Equal(42, result["sum"]!.GetValue<int>());
        // gVisor's user-space kernel answers, not the host's: its own /proc/version, and a root served by its gofer (9p).
        Assert.NotEqual((await File.ReadAllTextAsync("/proc/version")).Trim(), result["procVersion"]!.GetValue<string>());
        Assert.Equal("9p", result["mounts"]!["/"]!["type"]!.GetValue<string>());
        Assert.Equal("sandbox", result["hostname"]!.GetValue<string>());

        var status = result["status"]!;
        Assert.StartsWith("993\t", status["Uid"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("0000000000000000", status["CapEff"]!.GetValue<string>());
        Assert.Equal("0000000000000000", status["CapBnd"]!.GetValue<string>());
        Assert.Equal("2", status["Seccomp"]!.GetValue<string>());

        // Code and layers read-only, /tmp private and writable, owned by the function's user as under bubblewrap.
        foreach (var path in new[] { "/", "/var/task", "/opt", "/usr", "/var/runtime" })
        {
            Assert.Contains("ro", result["mounts"]![path]!["options"]!.AsArray().Select(o => o!.GetValue<string>()));
        }

        Assert.False(result["writeTask"]!["ok"]!.GetValue<bool>(), result["writeTask"]!.ToJsonString());
        Assert.False(result["writeOpt"]!["ok"]!.GetValue<bool>(), result["writeOpt"]!.ToJsonString());
        Assert.True(result["writeTmp"]!["ok"]!.GetValue<bool>(), result["writeTmp"]!.ToJsonString());
        Assert.Equal(993, result["tmpOwner"]!.GetValue<int>());
        foreach (var path in hostFiles)
        {
            Assert.False(result["reads"]![path]!["ok"]!.GetValue<bool>(), $"read {path} from inside gVisor");
        }

        // The same environment as the bubblewrap tier: reserved variables, the customer's, the Runtime API on the gateway.
        var env = result["env"]!;
        Assert.Equal("gv-probe", env["AWS_LAMBDA_FUNCTION_NAME"]!.GetValue<string>());
        Assert.Equal("/var/task", env["LAMBDA_TASK_ROOT"]!.GetValue<string>());
        Assert.Equal("gvisor", env["STAGE"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(env["AWS_SESSION_TOKEN"]?.GetValue<string>()));
        var runtimeApi = env["AWS_LAMBDA_RUNTIME_API"]!.GetValue<string>();
        Assert.StartsWith("10.", runtimeApi, StringComparison.Ordinal);
        Assert.StartsWith($"http://{runtimeApi}", env["AWS_ENDPOINT_URL"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_RunscProcesses_RunInTheEnvironmentsCgroupUnderItsMemoryLimit()
    {
        await CreateAsync("gv-cgroup", memoryMb: 256);
        Assert.Null((await _cli.InvokeAsync("gv-cgroup", new { })).FunctionError);

        var containers = await ContainersAsync();
        Assert.NotEmpty(containers);
        foreach (var container in containers)
        {
            var pids = RunscPids(container);
            Assert.True(pids.Count >= 3, $"runsc run, gofer and sentry of {container}: {pids.Count}");
            var limits = pids.Select(MemoryLimitOf).Distinct().ToList();
            // Every runsc process sits in one cgroup of Lamina's, with a function's MemorySize as its limit.
            Assert.True(limits.Count == 1 && limits[0] is not null, $"cgroups of {container}: {string.Join(", ", limits)}");
        }

        Assert.Contains(256L * 1024 * 1024, containers.SelectMany(RunscPids).Select(MemoryLimitOf));
    }

    [Fact]
    public async Task Invoke_AllocatingPastMemorySize_EndsAsOutOfMemory()
    {
        await CreateAsync("gv-oom", memoryMb: 128);

        var invoke = await _cli.InvokeAsync("gv-oom", new { allocateMb = 300 });

        Assert.Equal("Unhandled", invoke.FunctionError);
        Assert.Equal("Runtime.OutOfMemory", invoke.Json["errorType"]!.GetValue<string>());
        Assert.Null((await _cli.InvokeAsync("gv-oom", new { allocateMb = 16 })).FunctionError);
    }

    [Fact]
    public async Task Invoke_PastTimeout_ResetsAndLeavesNoRunscBehind()
    {
        await CreateAsync("gv-timeout", timeoutSeconds: 2);
        Assert.Null((await _cli.InvokeAsync("gv-timeout", new { })).FunctionError);
        var before = await ContainersAsync();

        var timedOut = await _cli.InvokeAsync("gv-timeout", new { sleep = 10 });
        Assert.Equal("Unhandled", timedOut.FunctionError);
        Assert.Equal("Sandbox.Timedout", timedOut.Json["errorType"]!.GetValue<string>());
        var again = await _cli.InvokeAsync("gv-timeout", new { numbers = new[] { 1, 2 } });
        Assert.True(again.FunctionError is null, again.ToString());
        Assert.Equal(3, again.Json["sum"]!.GetValue<int>());

        // The killed sandbox's container is deleted (in the background) and none of its processes lives on.
        var after = await EventuallyAsync(async () => (await ContainersAsync()).ToHashSet(), now => now.Count == before.Count);
        var gone = before.Except(after).ToList();
        Assert.True(gone.Count == 1, $"before: {string.Join(", ", before)}; after: {string.Join(", ", after)}");
        Assert.Empty(RunscPids(gone[0]));
        Assert.Single(after.Except(before));
    }

    [Fact]
    public async Task Shutdown_KillsEveryRunscProcessAndRemovesItsState()
    {
        var server = new GvisorLaminaFixture();
        await server.InitializeAsync();
        string root;
        try
        {
            using var client = server.Client();
            var created = await client.PostAsync("/2015-03-31/functions", new
            {
                FunctionName = "gv-shutdown",
                Runtime = MatrixFunctions.Runtime(server, "python"),
                Role,
                Handler = "index.handler",
                Code = new { ZipFile = Convert.ToBase64String(Zips.Of(("index.py", Probe))) },
            });
            Assert.True(created.Status == 201, created.ToString());
            var invoked = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/gv-shutdown/invocations", new { });
            Assert.True(invoked.Status == 200 && !invoked.Headers.ContainsKey("X-Amz-Function-Error"), invoked.ToString());
            root = server.Gvisor.Root;
            Assert.NotEmpty(ProcessesMentioning(root));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.Empty(ProcessesMentioning(root));
        Assert.DoesNotContain(root, await File.ReadAllTextAsync("/proc/mounts"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
    }

    /// <summary>Container ids in this server's runsc state (<c>runsc list</c>).</summary>
    private async Task<List<string>> ContainersAsync()
    {
        var gvisor = fixture.Gvisor;
        var list = await ProcessRunner.RunAsync(gvisor.Runsc, ["--root", gvisor.State, "list", "-quiet"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        return [.. list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>runsc run, gofer and sandbox of one container: each names its bundle directory, which ends in the id.</summary>
    private List<int> RunscPids(string container) =>
        ProcessesMentioning(Path.Combine(fixture.Gvisor.Bundles, container)).ToList();

    private static IEnumerable<int> ProcessesMentioning(string text)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (cmdline.Contains(text, StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }

    /// <summary>The memory limit of the process's memory cgroup (v1 or v2), when that cgroup is one of Lamina's.</summary>
    private static long? MemoryLimitOf(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (!parts[2].Contains("/lamina/", StringComparison.Ordinal))
            {
                continue;
            }

            var (file, dir) = parts[1] == "memory" ? ("memory.limit_in_bytes", "/sys/fs/cgroup/memory")
                : parts[0] == "0" && parts[1].Length == 0 ? ("memory.max", "/sys/fs/cgroup") : (null, null);
            if (file is not null && File.Exists(dir + parts[2] + "/" + file))
            {
                return long.Parse(File.ReadAllText(dir + parts[2] + "/" + file).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            value = await read();
        }

        return value;
    }
}
