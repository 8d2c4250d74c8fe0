using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>What the numbers were measured on, for the report.</summary>
internal sealed record MachineInfo(int Cpus, string CpuModel, double MemoryGiB, string Os, string Dotnet, string Commit, string ClientCpus, string MotoVersion,
    string Boto3Version)
{
    public static async Task<MachineInfo> CollectAsync(RepoPaths repo, CancellationToken cancellationToken)
    {
        // /proc/cpuinfo, not Environment.ProcessorCount: the latter only sees the CPUs this process is pinned to.
        var cpuinfo = await File.ReadAllLinesAsync("/proc/cpuinfo", cancellationToken);
        var cpus = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        var model = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memLine = (await File.ReadAllLinesAsync("/proc/meminfo", cancellationToken)).First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memKb = double.Parse(memLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

        var commit = (await RunAsync("git", ["-C", repo.Root, "rev-parse", "--short=12", "HEAD"], cancellationToken)).Trim();
        var dirty = (await RunAsync("git", ["-C", repo.Root, "status", "--porcelain", "--untracked-files=no"], cancellationToken)).Trim().Length > 0;
        var versions = (await RunAsync("python3", ["-c", "import moto, boto3; print(moto.__version__, boto3.__version__)"], cancellationToken))
            .Trim().Split(' ');

        return new MachineInfo(cpus, model, memKb / 1024 / 1024, RuntimeInformation.OSDescription, Environment.Version.ToString(),
            dirty ? commit + " (with uncommitted changes)" : commit, AffinityOf(Process.GetCurrentProcess()),
            versions.ElementAtOrDefault(0) ?? "?", versions.ElementAtOrDefault(1) ?? "?");
    }

    /// <summary>The CPUs a process may run on, as a taskset-style list ("0" or "0,1").</summary>
    public static string AffinityOf(Process process)
    {
        var mask = (long)process.ProcessorAffinity;
        var cpus = new List<int>();
        for (var cpu = 0; cpu < 64; cpu++)
        {
            if ((mask & (1L << cpu)) != 0)
            {
                cpus.Add(cpu);
            }
        }

        return string.Join(',', cpus);
    }

    private static async Task<string> RunAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? output : "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
