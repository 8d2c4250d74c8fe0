using System.Collections;
using System.Runtime.InteropServices;

namespace Lamina.Hosting;

/// <summary>
/// Starts <c>lamina serve</c> with the runtime's tiering delay at 0 (<c>DOTNET_TC_CallCountingDelayMs</c>), re-executing
/// the process once with that variable set when the caller did not set it.
/// </summary>
/// <remarks>
/// Why: .NET promotes a method from its first, unoptimized tier only after the process has jitted no new method for
/// 100 ms, and it multiplies that delay by 10 when it sees one CPU (a server pinned to a core, or a one-vCPU VM). A
/// server keeps reaching new code for minutes (each first durable execution, first alias, first error path), so every
/// new method restarts the wait: in the durable benchmark, 100 s after start the server still ran its checkpoint path
/// in instrumented code and the background JIT took 15% of the core. With the delay at 0, A/B runs minutes apart
/// (2026-11-23, one pinned core): 1.59–1.81 against 1.98–2.57 ms per durable step, 157–166 against 126–153 steps/s,
/// timer p99 11–15 against 12–154 ms. Only an environment variable can set this knob (the runtime reads it before
/// any managed code and ignores runtimeconfig.json for it), hence the re-exec. An explicit setting, any value, is
/// kept, and a failed exec leaves the server running as it was started.
/// </remarks>
internal static partial class JitTiering
{
    public const string Variable = "DOTNET_TC_CallCountingDelayMs";

    /// <summary>Re-executes this process with <see cref="Variable"/>=0 for <c>serve</c>; returns only when it does not.</summary>
    public static void ReexecServeIfUnset(string[] args)
    {
        if (!OperatingSystem.IsLinux() || args.Length == 0 || args[0] != "serve" || Environment.GetEnvironmentVariable(Variable) is not null)
        {
            return;
        }

        string[] argv;
        try
        {
            // The exact argv, so both the apphost (`lamina serve`) and the muxer (`dotnet lamina.dll serve`) come back as they started.
            var cmdline = File.ReadAllText("/proc/self/cmdline");
            argv = cmdline.EndsWith('\0') ? cmdline[..^1].Split('\0') : cmdline.Split('\0');
        }
        catch (IOException)
        {
            return;
        }

        var environment = new List<string?> { Variable + "=0" };
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{entry.Key}={entry.Value}");
        }

        environment.Add(null);
        Execve("/proc/self/exe", [.. argv, null], [.. environment]);
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
