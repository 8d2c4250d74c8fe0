using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lamina.Tests.Support;

/// <summary>
/// The real <c>lamina serve</c> binary as a child process, for tests that crash it: started on a fixed port
/// and data directory so a restart is the same server to its clients, and killed with SIGKILL.
/// </summary>
public sealed class LaminaProcess : IAsyncDisposable
{
    private static string LaminaDll => Path.Combine(AppContext.BaseDirectory, "lamina.dll");

    private readonly string[] _extraArgs;
    private Process? _process;

    public LaminaProcess(string dataDir, params string[] extraArgs)
    {
        DataDir = dataDir;
        _extraArgs = extraArgs;
        Port = FreePort();
        LogPath = Path.Combine(Path.GetDirectoryName(dataDir)!, "lamina.log");
    }

    public string DataDir { get; }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    /// <summary>Every run's stdout and stderr, appended.</summary>
    public string LogPath { get; }

    public int Starts { get; private set; }

    /// <summary>Variables added to the server's environment.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>The running server's process id (the shell that starts it execs it, so this is the server's own).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("Not started.");

    public async Task StartAsync()
    {
        var args = $"exec dotnet '{LaminaDll}' serve --data-dir '{DataDir}' --listen http://127.0.0.1:{Port} {string.Join(' ', _extraArgs)} >>'{LogPath}' 2>&1";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(args);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }
        _process = Process.Start(info)!;
        Starts++;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"lamina serve exited with {_process.ExitCode}:\n{File.ReadAllText(LogPath)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Endpoint, "/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"lamina serve did not become healthy in 60 s:\n{File.ReadAllText(LogPath)}");
    }

    /// <summary>SIGKILL, as a power cut or the OOM killer would: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>A client signed with the root key the server wrote to <c>DIR/credentials</c>.</summary>
    public AwsClient Client(string service = "lambda")
    {
        var lines = File.ReadAllLines(Path.Combine(DataDir, "credentials"));
        string Value(string key) => lines.Select(l => l.Split('=', 2)).First(p => p[0].Trim() == key)[1].Trim();
        return new AwsClient(Endpoint, Value("aws_access_key_id"), Value("aws_secret_access_key"), "us-east-1") { Service = service };
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
