using System.Diagnostics;

namespace Lamina.Sandboxes;

/// <summary>Runs the host tools the sandbox supervisor drives (ip, nft, mount, mkfs), failing loudly.</summary>
internal static class HostCommands
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        info.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new Result(process.ExitCode, (await stdout) + (await stderr));
    }

    public static async Task<string> CheckedAsync(string file, IEnumerable<string> args, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var list = args.ToList();
        var result = await RunAsync(file, list, stdin, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', list)} failed ({result.ExitCode}): {result.Output.Trim()}");
        }

        return result.Output;
    }

    public static bool Exists(string path) => File.Exists(path);
}
