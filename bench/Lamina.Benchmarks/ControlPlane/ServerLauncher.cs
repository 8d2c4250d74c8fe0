using System.Net;
using System.Net.Sockets;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>Starts Lamina, moto_server and the echo server as child processes and waits until each answers HTTP.</summary>
internal static class ServerLauncher
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// <c>lamina serve</c> on a fresh data dir and port 0: Lamina picks a free port itself and writes the
    /// endpoint and root key to DIR/config and DIR/credentials (AWS shared-file format) once it listens.
    /// </summary>
    public static Task<ServerUnderTest> StartLaminaAsync(RepoPaths repo, ControlPlaneSettings settings, string workDir,
        CancellationToken cancellationToken) =>
        StartLaminaAsync(repo, settings.LaminaExecutable, settings.ServerCpus, workDir, [], cancellationToken);

    /// <summary>As above, with <paramref name="extraArguments"/> after the ones every benchmark passes.</summary>
    public static async Task<ServerUnderTest> StartLaminaAsync(RepoPaths repo, string? laminaExecutable, string serverCpus, string workDir,
        IReadOnlyList<string> extraArguments, CancellationToken cancellationToken)
    {
        var executable = laminaExecutable
            ?? (File.Exists(repo.BuiltLamina) ? repo.BuiltLamina
                : File.Exists(repo.LaminaScript) ? repo.LaminaScript
                : throw new InvalidOperationException($"No Lamina build at {repo.BuiltLamina}; run bench/run.sh, which builds it."));
        var dataDir = Path.Combine(workDir, "lamina-data");
        var process = ServerProcess.Start("Lamina", executable,
            ["serve", "--data-dir", dataDir, "--listen", "http://127.0.0.1:0", "--region", ControlPlaneSettings.Region, .. extraArguments],
            Path.Combine(workDir, "lamina.log"), serverCpus);
        try
        {
            var config = Path.Combine(dataDir, "config");
            var credentials = Path.Combine(dataDir, "credentials");
            await WaitUntilAsync(process, () => ValueTask.FromResult(File.Exists(config) && File.Exists(credentials)), cancellationToken);
            var endpoint = new Uri(ReadIni(config, "endpoint_url"));
            await WaitForHttpAsync(process, new Uri(endpoint, "/health"), cancellationToken);
            return new ServerUnderTest("Lamina", endpoint,
                new AwsCredentials(ReadIni(credentials, "aws_access_key_id"), ReadIni(credentials, "aws_secret_access_key"), ControlPlaneSettings.Region),
                process);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>moto_server on a free port; moto accepts any key and does not verify signatures.</summary>
    public static async Task<ServerUnderTest> StartMotoAsync(ControlPlaneSettings settings, string workDir, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var process = ServerProcess.Start("moto", "moto_server", ["-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Path.Combine(workDir, "moto.log"), settings.ServerCpus);
        try
        {
            var endpoint = new Uri($"http://127.0.0.1:{port}");
            await WaitForHttpAsync(process, new Uri(endpoint, "/moto-api/"), cancellationToken);
            return new ServerUnderTest("moto", endpoint, new AwsCredentials("AKIAMOTOBENCH0000000", "moto-accepts-any-secret", ControlPlaneSettings.Region),
                process);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>This program's hidden <c>echo-server</c> verb, pinned like the servers.</summary>
    public static Task<ServerUnderTest> StartEchoAsync(ControlPlaneSettings settings, string workDir, CancellationToken cancellationToken) =>
        StartSelfAsync("echo", "echo-server", [], settings.ServerCpus, workDir, cancellationToken);

    /// <summary>
    /// One of this program's hidden server verbs on a free port (<c>VERB --port N ARGS</c>), pinned to
    /// <paramref name="cpus"/>; ready once it answers HTTP on 127.0.0.1.
    /// </summary>
    public static async Task<ServerUnderTest> StartSelfAsync(string name, string verb, IEnumerable<string> arguments, string cpus, string workDir,
        CancellationToken cancellationToken)
    {
        var port = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        string[] command = [verb, "--port", port, .. arguments];
        string[] argv = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [typeof(ServerLauncher).Assembly.Location, .. command] : command;
        var process = ServerProcess.Start(name, self, argv, Path.Combine(workDir, name + ".log"), cpus);
        try
        {
            var endpoint = new Uri($"http://127.0.0.1:{port}");
            await WaitForHttpAsync(process, endpoint, cancellationToken);
            return new ServerUnderTest(name, endpoint, new AwsCredentials("AKIAECHOBENCH0000000", "echo-ignores-signatures", ControlPlaneSettings.Region),
                process);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(ServerProcess process, Func<ValueTask<bool>> ready, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await ready())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited during startup:\n{process.LogTail()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{process.Name} did not start within {StartTimeout.TotalSeconds} s:\n{process.LogTail()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public static async Task WaitForHttpAsync(ServerProcess process, Uri probe, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitUntilAsync(process, async () =>
        {
            try
            {
                // Any HTTP answer means it listens; the probe is unsigned on purpose.
                using var response = await http.GetAsync(probe, cancellationToken);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }, cancellationToken);
    }

    private static string ReadIni(string path, string key)
    {
        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && line[..eq].Trim() == key)
            {
                return line[(eq + 1)..].Trim();
            }
        }

        throw new InvalidOperationException($"{path} has no '{key}'.");
    }
}
