using Lamina.Sandboxes;
using Lamina.Tests.Support;

namespace Lamina.Tests.Isolation;

/// <summary>No environment starts without its protections when the host provides them.</summary>
public sealed class LauncherGuardTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private SandboxLauncher Launcher => (SandboxLauncher)fixture.Server.Services.GetService(typeof(SandboxLauncher))!;

    private static LaunchSpec Spec(ICgroup? cgroup, string? netns, int? uid) => new()
    {
        Id = "guard-test",
        Environment = [],
        Mounts = [],
        Command = ["/bin/true"],
        Cgroup = cgroup,
        NetworkNamespace = netns,
        HostUid = uid,
    };

    [Fact]
    public void Isolation_OnThisHost_IsComplete()
    {
        var isolation = (Lamina.Sandboxes.Isolation)fixture.Server.Services.GetService(typeof(Lamina.Sandboxes.Isolation))!;
        Assert.True(isolation.IsComplete, string.Join("; ", isolation.Missing));
        Assert.NotNull(isolation.Seccomp);
        Assert.NotNull(isolation.Network);
        Assert.NotNull(isolation.Cgroups);
        Assert.NotNull(isolation.Uids);
        Assert.True(isolation.SizedTmp);
    }

    [Theory]
    [InlineData(false, true, true, "cgroup")]
    [InlineData(true, false, true, "network namespace")]
    [InlineData(true, true, false, "unprivileged uid")]
    public void Start_WithoutAProtection_Refused(bool withCgroup, bool withNetns, bool withUid, string missing)
    {
        var cgroup = withCgroup ? new FakeCgroup() : null;
        var error = Assert.Throws<InvalidOperationException>(() =>
            Launcher.EnsureProtected(Spec(cgroup, withNetns ? "/run/netns/x" : null, withUid ? 1_300_000_123 : null)));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_AsRoot_Refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Launcher.EnsureProtected(Spec(new FakeCgroup(), "/run/netns/x", 0)));
        Assert.Contains("unprivileged uid", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(128, 7)]
    [InlineData(1769, 100)]
    [InlineData(10240, 579)]
    public async Task Cgroup_CpuWeight_ProportionalToMemory(int memoryMb, int weight)
    {
        var isolation = (Lamina.Sandboxes.Isolation)fixture.Server.Services.GetService(typeof(Lamina.Sandboxes.Isolation))!;
        var cgroup = isolation.Cgroups!.Create($"weight-test-{memoryMb}", ResourceLimits.ForMemory(memoryMb));
        try
        {
            // cgroup v2 keeps the weight in cpu.weight; v1 in cpu.shares, where 1,024 is a default task's weight.
            var dirs = cgroup.ProcsFiles.Select(Path.GetDirectoryName).ToList();
            var v2 = dirs.Select(d => Path.Combine(d!, "cpu.weight")).FirstOrDefault(File.Exists);
            var v1 = dirs.Select(d => Path.Combine(d!, "cpu.shares")).FirstOrDefault(File.Exists);
            var (file, expected) = v2 is not null ? (v2, weight) : (v1!, weight * 1024 / 100);
            Assert.Equal(expected, int.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await cgroup.DestroyAsync();
        }
    }

    [Fact]
    public async Task ParkedLauncher_WaitsInItsCgroup_AndRunsNothingWithoutACompleteCommand()
    {
        var isolation = (Lamina.Sandboxes.Isolation)fixture.Server.Services.GetService(typeof(Lamina.Sandboxes.Isolation))!;
        var cgroup = isolation.Cgroups!.Create("park-test", null);
        try
        {
            var parked = Launcher.Park(cgroup);
            var pid = parked.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Joined every hierarchy before any command arrived (the first join waits for an RCU grace period).
            for (var i = 0; i < 100 && !cgroup.ProcsFiles.All(f => File.ReadAllLines(f).Contains(pid)); i++)
            {
                await Task.Delay(50);
            }

            Assert.All(cgroup.ProcsFiles, f => Assert.Contains(pid, File.ReadAllLines(f)));

            // A command cut off before its end-of-command line (as when the server dies mid-send) is never run.
            var stdin = parked.Process.StandardInput.BaseStream;
            stdin.Write("/bin/echo\nran\n"u8);
            stdin.Flush();
            var output = parked.Process.StandardOutput.ReadToEndAsync();
            parked.Process.StandardInput.Close();
            await parked.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(125, parked.Process.ExitCode);
            Assert.Equal("", await output);
            await parked.AbandonAsync();
        }
        finally
        {
            await cgroup.DestroyAsync();
        }
    }

    [Fact]
    public async Task TakeParked_GivesTheEnvironmentsLimits()
    {
        var parked = Launcher.TakeParked(ResourceLimits.ForMemory(256));
        var cgroup = parked.Cgroup!;
        try
        {
            var dirs = cgroup.ProcsFiles.Select(Path.GetDirectoryName).ToList();
            var memory = dirs.Select(d => Path.Combine(d!, "memory.max")).Concat(dirs.Select(d => Path.Combine(d!, "memory.limit_in_bytes"))).First(File.Exists);
            Assert.Equal(256L * 1024 * 1024, long.Parse(File.ReadAllText(memory).Trim(), System.Globalization.CultureInfo.InvariantCulture));
            Assert.False(parked.HasExited);
        }
        finally
        {
            await parked.AbandonAsync();
            await cgroup.DestroyAsync();
        }
    }

    private sealed class FakeCgroup : ICgroup
    {
        public IReadOnlyList<string> ProcsFiles => [];
        public long PeakMemoryBytes() => 0;
        public long OomKills() => 0;
        public long ThrottledPeriods() => 0;
        public void SetCpuQuota(long? quotaMicros) { }
        public void Apply(ResourceLimits limits) { }
        public Task KillAllAsync() => Task.CompletedTask;
        public Task DestroyAsync() => Task.CompletedTask;
    }
}
