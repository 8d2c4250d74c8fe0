using System.Net.Sockets;
using System.Text.Json.Nodes;
using Lamina.Tests.Support;

namespace Lamina.Tests.Isolation;

/// <summary>
/// Hostile functions try to break out of their sandbox; every attempt must fail and the platform must
/// stay healthy (the isolation issue's battery). Runs once per sandbox tier: <see cref="HostileFunctionTests"/>
/// (bubblewrap) and <see cref="GvisorHostileFunctionTests"/> (gVisor).
/// </summary>
public abstract class HostileFunctionBattery(LaminaFixture fixture)
{
    /// <summary>Whether the server runs the gVisor tier, where two observations differ (see the tests that ask).</summary>
    protected virtual bool UnderGvisor => false;

    private async Task<AwsClient> CreateAsync(string name, int memory = 1769, Dictionary<string, string>? env = null)
    {
        var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", HostileRuntime.CreateRequest(name, memory, env: env));
        Assert.True(created.Status == 201, created.ToString());
        return client;
    }

    private static async Task<JsonNode> AttackAsync(AwsClient client, string name, object payload)
    {
        var response = await client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{name}/invocations", payload);
        Assert.True(response.Status == 200 && !response.Headers.ContainsKey("X-Amz-Function-Error"), response.ToString());
        return response.Json;
    }

    private static void Failed(JsonNode? attempt, string what)
    {
        Assert.NotNull(attempt);
        Assert.False(attempt!["ok"]!.GetValue<bool>(), $"{what} should have failed: {attempt.ToJsonString()}");
    }

    private async Task HealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Endpoint) };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Process_RunsUnprivileged_WithSeccompAndNoNewPrivs()
    {
        using var client = await CreateAsync("hostile-status");
        var status = await AttackAsync(client, "hostile-status", new { attack = "status" });
        Assert.StartsWith("993\t", status["Uid"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("0000000000000000", status["CapEff"]!.GetValue<string>());
        Assert.Equal("0000000000000000", status["CapPrm"]!.GetValue<string>());
        Assert.Equal("0000000000000000", status["CapBnd"]!.GetValue<string>());
        if (!UnderGvisor)
        {
            // gVisor's /proc/self/status has no NoNewPrivs line; the OCI spec sets noNewPrivileges for the sentry to enforce.
            Assert.Equal("1", status["NoNewPrivs"]!.GetValue<string>());
        }

        Assert.Equal("2", status["Seccomp"]!.GetValue<string>());
        // Its own pid namespace: only the sandbox's processes are visible.
        Assert.True(status["pids"]!.AsArray().Count < 10, status["pids"]!.ToJsonString());
        Assert.DoesNotContain(status["pids"]!.AsArray(), p => p!.GetValue<int>() == Environment.ProcessId && Environment.ProcessId > 10);
    }

    [Fact]
    public async Task Files_HostDataAndLaminaStateUnreachable()
    {
        using var client = await CreateAsync("hostile-files");
        var data = fixture.DataDir;
        var result = await AttackAsync(client, "hostile-files", new
        {
            attack = "files",
            paths = new[]
            {
                "/etc/shadow", "/root/.bashrc", Path.Combine(data, "master.key"), Path.Combine(data, "lamina.db"), Path.Combine(data, "credentials"),
                "/proc/1/root/etc/shadow", "/var/task/../../etc/shadow",
            },
            dirs = new[] { data, "/root", "/home", "/var/lib", "/sys/fs/cgroup" },
        });
        foreach (var path in new[] { "/etc/shadow", "/root/.bashrc", Path.Combine(data, "master.key"), Path.Combine(data, "lamina.db"),
                     Path.Combine(data, "credentials"), "/proc/1/root/etc/shadow", "/var/task/../../etc/shadow" })
        {
            Failed(result[path], $"reading {path}");
        }

        Failed(result["listdirs"]![data], $"listing {data}");
        Failed(result["listdirs"]!["/root"], "listing /root");
        Assert.False(result["listdirs"]!["/sys/fs/cgroup"]!["ok"]!.GetValue<bool>() &&
                     result["listdirs"]!["/sys/fs/cgroup"]!["value"]!.AsArray().Count > 0, "host cgroups visible");
    }

    [Fact]
    public async Task Signals_HostProcessesUnreachable()
    {
        using var client = await CreateAsync("hostile-signal");
        var result = await AttackAsync(client, "hostile-signal", new { attack = "signal", pids = new[] { Environment.ProcessId, 1 } });
        Failed(result[Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)], "signalling Lamina");
    }

    [Fact]
    public async Task Syscalls_ForbiddenOnesAllFail()
    {
        using var client = await CreateAsync("hostile-syscalls");
        var result = await AttackAsync(client, "hostile-syscalls", new { attack = "syscalls" });
        foreach (var name in new[]
                 {
                     "ptrace", "mount", "umount2", "unshare_user", "unshare_mount", "setns", "bpf", "keyctl", "perf_event_open", "userfaultfd",
                     "io_uring_setup", "kexec_load", "init_module", "clock_settime", "settimeofday", "pivot_root", "chroot", "add_key", "clone_newuser",
                 })
        {
            Failed(result[name], name);
            Assert.Equal(1, result[name]!["errno"]!.GetValue<int>()); // EPERM: refused by seccomp or missing capability
        }
    }

    [Fact]
    public async Task Sockets_RawAndPacketAndVsockRefused()
    {
        using var client = await CreateAsync("hostile-sockets");
        var result = await AttackAsync(client, "hostile-sockets", new { attack = "sockets" });
        Failed(result["raw_icmp"], "raw ICMP socket");
        Failed(result["packet"], "AF_PACKET socket");
        Failed(result["vsock"], "AF_VSOCK socket");
    }

    [Fact]
    public async Task Network_NoInboundNoNeighboursNoHostServicesNoMetadata()
    {
        using var client = await CreateAsync("hostile-net-a");
        await CreateAsync("hostile-net-b");
        var listening = await AttackAsync(client, "hostile-net-b", new { attack = "listen", port = 8080 });
        var neighbour = listening["address"]!.GetValue<string>();
        // Positive control: the listener is up and reachable from inside its own environment.
        var self = await AttackAsync(client, "hostile-net-b", new { attack = "connect", targets = new object[] { new object[] { neighbour, 8080 } } });
        Assert.True(self[$"{neighbour}:8080"]!["ok"]!.GetValue<bool>(), self.ToJsonString());

        // From outside (here: the host itself, the closest outsider) nobody can open a connection into an environment.
        using (var outsider = new TcpClient())
        {
            var connect = outsider.ConnectAsync(neighbour, 8080);
            var finished = await Task.WhenAny(connect, Task.Delay(2000));
            Assert.False(finished == connect && connect.IsCompletedSuccessfully, $"the host reached {neighbour}:8080");
        }

        var status = await AttackAsync(client, "hostile-net-a", new { attack = "status" });
        var runtimeApi = status["environ"]!["AWS_LAMBDA_RUNTIME_API"]!.GetValue<string>().Split(':');
        var gateway = runtimeApi[0];
        var apiPort = new Uri(fixture.Endpoint).Port;
        var result = await AttackAsync(client, "hostile-net-a", new
        {
            attack = "connect",
            targets = new object[]
            {
                new object[] { neighbour, 8080 },
                new object[] { gateway, apiPort },
                new object[] { gateway, 22 },
                new object[] { "127.0.0.1", apiPort },
                new object[] { "169.254.169.254", 80 },
                new object[] { gateway, int.Parse(runtimeApi[1], System.Globalization.CultureInfo.InvariantCulture) },
            },
        });
        Failed(result[$"{neighbour}:8080"], "reaching another environment");
        Failed(result[$"{gateway}:{apiPort}"], "reaching the host's API listener directly");
        Failed(result[$"{gateway}:22"], "reaching a host service");
        Failed(result[$"127.0.0.1:{apiPort}"], "reaching host loopback");
        Failed(result["169.254.169.254:80"], "reaching the metadata address");
        Assert.True(result[$"{gateway}:{runtimeApi[1]}"]!["ok"]!.GetValue<bool>(), "the Runtime API must stay reachable");
    }

    [Fact]
    public async Task Neighbours_CannotSeeEachOthersTmpOrEnvironment()
    {
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        using var client = await CreateAsync("hostile-owner", env: new Dictionary<string, string> { ["SECRET_VALUE"] = secret });
        await CreateAsync("hostile-snoop");
        await AttackAsync(client, "hostile-owner", new { attack = "write-secret", secret });
        var found = await AttackAsync(client, "hostile-snoop", new { attack = "find-secret", secret });
        Assert.Empty(found["found"]!.AsArray());
    }

    /// <summary>
    /// The environment's secrets (a customer variable, the role's session credentials) are on no host process's command
    /// line while it runs: /proc/PID/cmdline is readable by every host user. bubblewrap gets its arguments from a memfd.
    /// </summary>
    [Fact]
    public async Task Secrets_OnNoHostCommandLine()
    {
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        using var client = await CreateAsync("hostile-cmdline", env: new Dictionary<string, string> { ["SECRET_VALUE"] = secret });
        var environ = (await AttackAsync(client, "hostile-cmdline", new { attack = "status" }))["environ"]!;
        // The control: the function does have both values, so the scan below looks for strings that exist.
        Assert.Equal(secret, environ["SECRET_VALUE"]!.GetValue<string>());
        var secretKey = environ["AWS_SECRET_ACCESS_KEY"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(secretKey));

        var exposed = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains(secret, StringComparison.Ordinal) || commandLine.Contains(secretKey, StringComparison.Ordinal))
            {
                exposed.Add($"{Path.GetFileName(dir)}: {commandLine[..Math.Min(120, commandLine.Length)]}");
            }
        }

        Assert.Empty(exposed);
    }

    [Fact]
    public async Task ForkBomb_StopsAtPidsLimit_PlatformHealthy()
    {
        using var client = await CreateAsync("hostile-fork");
        if (UnderGvisor)
        {
            // Under gVisor's ptrace platform every process is an address space with its own host stub process: the
            // environment's host pids.max (or its memory) ends the whole sandbox before the 1,024th fork could fail.
            var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/hostile-fork/invocations", new { attack = "fork-bomb" });
            Assert.True(response.Headers.ContainsKey("X-Amz-Function-Error"), response.ToString());
            Assert.Contains(response.Json["errorType"]!.GetValue<string>(), new[] { "Runtime.ExitError", "Runtime.OutOfMemory" });
        }
        else
        {
            var result = await AttackAsync(client, "hostile-fork", new { attack = "fork-bomb" });
            Failed(result, "forking 3,000 processes");
            Assert.Equal(11, result["errno"]!.GetValue<int>()); // EAGAIN at pids.max
        }

        await HealthyAsync();
        Assert.True((await AttackAsync(client, "hostile-fork", new { attack = "echo" }))["echo"]!.GetValue<bool>());
    }

    [Fact]
    public async Task FillTmp_EnospcAtEphemeralStorageSize()
    {
        using var client = await CreateAsync("hostile-fill");
        var result = await AttackAsync(client, "hostile-fill", new { attack = "fill-tmp" });
        Failed(result, "filling /tmp");
        Assert.Equal(28, result["errno"]!.GetValue<int>()); // ENOSPC
        var written = long.Parse(result["message"]!.GetValue<string>().Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(written, 400L * 1024 * 1024, 512L * 1024 * 1024);
        await HealthyAsync();
    }

    [Fact]
    public async Task MemoryExhaustion_KilledAsOutOfMemory_PlatformHealthy()
    {
        using var client = fixture.Client();
        Assert.Equal(201, (await client.PostAsync("/2015-03-31/functions", TestRuntime.CreateRequest("hostile-oom", memory: 256))).Status);
        var response = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/hostile-oom/invocations", new { action = "allocate" });
        Assert.Equal("Runtime.OutOfMemory", response.Json["errorType"]!.GetValue<string>());
        await HealthyAsync();
    }

    [Fact]
    public async Task CpuHog_IsThrottled_NeighbourKeepsAnswering()
    {
        using var client = await CreateAsync("hostile-cpu", memory: 128);
        await CreateAsync("hostile-quiet", memory: 128);
        var hog = AttackAsync(client, "hostile-cpu", new { attack = "cpu", seconds = 4 });
        await Task.Delay(500);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await AttackAsync(client, "hostile-quiet", new { attack = "echo" }))["echo"]!.GetValue<bool>());
        }

        await hog;
        // 128 MB gets 7.2% of a CPU: the hog spent most of its periods throttled.
        var throttled = Directory.EnumerateDirectories("/sys/fs/cgroup", "*", SearchOption.AllDirectories)
            .Where(d => d.Contains("/lamina/", StringComparison.Ordinal))
            .Select(d => Path.Combine(d, "cpu.stat"))
            .Where(File.Exists)
            .Select(f => File.ReadAllLines(f).FirstOrDefault(l => l.StartsWith("nr_throttled ", StringComparison.Ordinal)))
            .Where(l => l is not null)
            .Select(l => long.Parse(l!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Max();
        Assert.True(throttled > 10, $"expected the CPU hog to be throttled, nr_throttled max = {throttled}");
    }
}
