using Lamina.Core.Functions;

namespace Lamina.Tests.Support;

/// <summary>
/// Function packages for the per-runtime end-to-end matrix. The Node.js and Python handlers obey the same
/// event commands as <see cref="TestRuntime"/> (echo, hello, sleep, allocate, env, error), so one test
/// drives nodejs, python and provided.al2023 alike. Each environment answers with its own id (<c>env</c>).
/// </summary>
public static class MatrixFunctions
{
    /// <summary>Node.js (CommonJS): <c>index.handler</c>; <c>stream.handler</c> streams its response.</summary>
    public const string NodeHandler = """
        const crypto = require('node:crypto');
        const fs = require('node:fs');
        const envId = crypto.randomUUID();

        class TestError extends Error {
          constructor(message) { super(message); this.name = 'TestError'; }
        }

        exports.handler = async (event) => {
          const result = { env: envId, event };
          switch (event.action ?? 'echo') {
            case 'hello':
              result.greeting = process.env.GREETING ?? null;
              result.layer = fs.existsSync('/opt/nodejs') ? require('matrix-layer').describe() : null;
              fs.appendFileSync('/tmp/hello.txt', `${event.value}\n`);
              result.tmp = fs.readFileSync('/tmp/hello.txt', 'utf8');
              break;
            case 'sleep':
              await new Promise((resolve) => setTimeout(resolve, event.seconds * 1000));
              break;
            case 'allocate': {
              // Filled buffers (pages touched) outside the V8 heap: the cgroup limit is what stops this.
              const hog = [];
              for (;;) hog.push(Buffer.alloc(16 * 1024 * 1024, 1));
            }
            case 'env':
              result.vars = { ...process.env };
              break;
            case 'error':
              throw new TestError('failed on purpose');
          }
          return result;
        };
        """;

    public const string NodeStreamHandler = """
        class StreamBroke extends Error {
          constructor(message) { super(message); this.name = 'StreamBroke'; }
        }

        exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
          for (const chunk of event.chunks) {
            responseStream.write(chunk);
            // A pause between writes long enough that a busy server still forwards them as separate chunks.
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          if (event.fail) throw new StreamBroke('broke mid-stream');
          responseStream.end();
        });
        """;

    /// <summary>Python: <c>app.handler</c>.</summary>
    public const string PythonHandler = """
        import os, time, uuid
        ENV_ID = uuid.uuid4().hex


        class TestError(Exception):
            pass


        def handler(event, context):
            action = event.get('action', 'echo')
            result = {'env': ENV_ID, 'event': event}
            if action == 'hello':
                result['greeting'] = os.environ.get('GREETING')
                result['layer'] = None
                if os.path.isdir('/opt/python'):
                    import matrix_layer
                    result['layer'] = matrix_layer.describe()
                with open('/tmp/hello.txt', 'a') as f:
                    f.write('%s\n' % event.get('value'))
                with open('/tmp/hello.txt') as f:
                    result['tmp'] = f.read()
            elif action == 'sleep':
                time.sleep(event['seconds'])
            elif action == 'allocate':
                hog = []
                while True:
                    hog.append(b'\x01' * (16 * 1024 * 1024))
            elif action == 'env':
                result['vars'] = dict(os.environ)
            elif action == 'error':
                raise TestError('failed on purpose')
            return result
        """;

    /// <summary>
    /// One layer for every runtime: a Python module under <c>python/</c>, a Node package under
    /// <c>nodejs/node_modules/</c>, and a plain file under <c>dotnet/</c> (HelloDotnet's <c>Hello</c> reads it).
    /// </summary>
    public static byte[] LayerZip() => Zips.Of(
        ("python/matrix_layer.py", "def describe():\n    return 'python layer at ' + __file__\n"),
        ("nodejs/node_modules/matrix-layer/index.js", "exports.describe = () => 'node layer at ' + __filename;\n"),
        ("dotnet/matrix-layer.txt", "dotnet layer file"));

    /// <summary>What each runtime's <c>hello</c> reports from the layer.</summary>
    public static string LayerDescription(string family) => family == "nodejs"
        ? "node layer at /opt/nodejs/node_modules/matrix-layer/index.js"
        : "python layer at /opt/python/matrix_layer.py";

    /// <summary>The package and handler for a runtime family.</summary>
    public static (byte[] Zip, string Handler) Package(string family) => family switch
    {
        "nodejs" => (Zips.Of(("index.js", NodeHandler), ("stream.js", NodeStreamHandler)), "index.handler"),
        "python" => (Zips.Of(("app.py", PythonHandler)), "app.handler"),
        "provided" => (TestRuntime.Zip(), "unused"),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "no matrix package for this runtime family"),
    };

    /// <summary>
    /// The newest runtime of a family this host offers (<c>nodejs20.x</c>, <c>python3.13</c>, ...): the matrix
    /// runs what the server's catalog says it can run rather than a hard-coded list.
    /// </summary>
    public static string Runtime(LaminaFixture fixture, string family)
    {
        if (family == "provided")
        {
            return "provided.al2023";
        }

        var catalog = (RuntimeCatalog)fixture.Server.Services.GetService(typeof(RuntimeCatalog))!;
        var found = catalog.All.Where(r => r.Family == family)
            .OrderByDescending(r => VersionOf(r.Name[family.Length..]))
            .Select(r => r.Name)
            .FirstOrDefault();
        Assert.True(found is not null, $"this host offers no {family} runtime; the catalog has {string.Join(", ", catalog.Names)}");
        return found;
    }

    /// <summary>"20.x" → 20.0, "3.12" → 3.12.</summary>
    private static Version VersionOf(string suffix)
    {
        var digits = suffix.Replace(".x", "", StringComparison.Ordinal);
        return Version.Parse(digits.Contains('.', StringComparison.Ordinal) ? digits : digits + ".0");
    }
}
