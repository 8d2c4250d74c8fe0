using System.IO.Compression;
using System.Text;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>
/// A runtime the data-plane benchmark measures, with the function code it runs. Lamina gets the code as a
/// zip; the runtime floor writes the same files to a directory and starts the same bootstrap itself.
/// </summary>
/// <remarks>
/// The functions obey the event: <c>echo</c> returns the event unchanged (the warm path), <c>sleep</c>
/// holds the environment for a while (the burst), <c>burn</c> spins in a loop (the CPU hog). Anything but
/// an echo answers with the environment's id and when the handler started (epoch milliseconds).
/// </remarks>
internal sealed record BenchRuntime(
    string Name,
    string LaminaRuntime,
    string Handler,
    IReadOnlyList<(string Path, string Content, bool Executable)> Files,
    IReadOnlyList<string> InterpreterOnly)
{
    /// <summary>
    /// A stdlib Python bootstrap speaking the Runtime API, like tests/Lamina.Tests/Support/TestRuntime.cs but
    /// lean: an echo returns the raw event bytes, so the runtime does as little as a runtime can per invoke.
    /// </summary>
    public const string PythonBootstrap = """
        #!/usr/bin/python3 -u
        import http.client, json, os, time
        host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
        runtime_api = http.client.HTTPConnection(host, int(port))
        env_id = os.urandom(8).hex()

        def call(method, path, body=None):
            runtime_api.request(method, '/2018-06-01/runtime/invocation/' + path, body)
            reply = runtime_api.getresponse()
            return reply, reply.read()

        while True:
            reply, event = call('GET', 'next')
            started = int(time.time() * 1000)
            answer = event
            if b'"action":"echo"' not in event:
                command = json.loads(event)
                if command.get('action') == 'sleep':
                    time.sleep(command['seconds'])
                elif command.get('action') == 'burn':
                    end = time.time() + command['seconds']
                    while time.time() < end:
                        pass
                answer = json.dumps({'env': env_id, 'started': started}).encode()
            call('POST', reply.getheader('Lambda-Runtime-Aws-Request-Id') + '/response', answer)
        """;

    /// <summary>The same behaviour as a Node.js handler for Lamina's managed runtime (runtimes/nodejs).</summary>
    public const string NodeHandler = """
        const envId = require('node:crypto').randomBytes(8).toString('hex');
        exports.handler = async (event) => {
          const started = Date.now();
          if (event.action === 'sleep') {
            await new Promise((resolve) => setTimeout(resolve, event.seconds * 1000));
          } else if (event.action === 'burn') {
            const end = Date.now() + event.seconds * 1000;
            while (Date.now() < end) {
              // spin
            }
          } else {
            return event;
          }
          return { env: envId, started };
        };
        """;

    /// <summary>The warm-path event: compact JSON, so a runtime that parses and re-serializes it answers the same bytes.</summary>
    public static readonly byte[] EchoEvent = Encoding.UTF8.GetBytes(
        "{\"action\":\"echo\",\"data\":\"" + new string('x', 64) + "\"}");

    public static byte[] SleepEvent(TimeSpan duration) =>
        Encoding.UTF8.GetBytes($"{{\"action\":\"sleep\",\"seconds\":{duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}}}");

    public static byte[] BurnEvent(TimeSpan duration) =>
        Encoding.UTF8.GetBytes($"{{\"action\":\"burn\",\"seconds\":{duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}}}");

    /// <summary>The runtimes on this host; Node's Lamina identifier follows the installed major, as Lamina's catalog does.</summary>
    public static IReadOnlyList<BenchRuntime> All(string nodeMajor) =>
    [
        new("provided", "provided.al2023", "unused", [("bootstrap", PythonBootstrap, true)], ["/usr/bin/python3", "-c", "pass"]),
        new("nodejs", $"nodejs{nodeMajor}.x", "index.handler", [("index.js", NodeHandler, false)], ["/usr/bin/node", "-e", "0"]),
    ];

    public byte[] Zip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content, executable) in Files)
            {
                var entry = zip.CreateEntry(path, CompressionLevel.Fastest);
                // Unix mode in the high 16 bits: a regular file, 755 for the bootstrap, 644 otherwise.
                entry.ExternalAttributes = (executable ? 0x81ED : 0x81A4) << 16;
                using var stream = entry.Open();
                stream.Write(Encoding.UTF8.GetBytes(Normalize(content)));
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Writes the files under <paramref name="dir"/> (readable by the sandbox's unprivileged user).</summary>
    public void WriteTo(string dir)
    {
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var (path, content, executable) in Files)
        {
            var file = Path.Combine(dir, path);
            File.WriteAllText(file, Normalize(content));
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(executable ? "755" : "644", 8));
        }
    }

    private static string Normalize(string content) => content.Replace("\r", "", StringComparison.Ordinal) + "\n";
}
