namespace Lamina.Tests.Support;

/// <summary>
/// A custom runtime (provided.al2023) for data-plane tests, written as a stdlib Python bootstrap that
/// speaks the Runtime API directly and obeys commands in the event: echo, hello, sleep, exit, allocate, env,
/// tmp-write/tmp-read, print, error. It exercises the platform without depending on a managed runtime.
/// </summary>
public static class TestRuntime
{
    public const string Bootstrap = """
        #!/usr/bin/python3 -u
        import base64, http.client, json, os, socket, sys, time, uuid
        api = os.environ['AWS_LAMBDA_RUNTIME_API']
        host, port = api.rsplit(':', 1)
        env_id = uuid.uuid4().hex
        # One write(2) per line: `python3 -u` print() issues a write per argument, and extensions share this
        # stdout pipe, so their lines could land mid-line (seen in CI as "EVENTEXT INVOKE ...").
        def print(*parts):
            os.write(1, (' '.join(map(str, parts)) + '\n').encode())
        print('test runtime init', env_id)
        if os.environ.get('INIT_FAIL'):
            c = http.client.HTTPConnection(host, int(port))
            c.request('POST', '/2018-06-01/runtime/init/error', json.dumps({'errorType': 'Runtime.TestInitError', 'errorMessage': 'init failed on purpose'}),
                      {'Lambda-Runtime-Function-Error-Type': 'Runtime.TestInitError'})
            c.getresponse().read()
            sys.exit(1)
        if os.environ.get('INIT_SLEEP'):
            time.sleep(float(os.environ['INIT_SLEEP']))
        conn = http.client.HTTPConnection(host, int(port))
        while True:
            conn.request('GET', '/2018-06-01/runtime/invocation/next')
            r = conn.getresponse()
            body = r.read()
            rid = r.getheader('Lambda-Runtime-Aws-Request-Id')
            headers = {k.lower(): v for k, v in r.getheaders()}
            event = json.loads(body or b'{}')
            print('EVENT', rid, int(time.time() * 1000), json.dumps(event, separators=(',', ':')))
            action = event.get('action', 'echo') if isinstance(event, dict) else 'echo'
            result = {'env': env_id, 'event': event}
            if action == 'sleep':
                time.sleep(event['seconds'])
            elif action == 'exit':
                sys.exit(event.get('code', 1))
            elif action == 'allocate':
                hog = []
                while True:
                    hog.append(bytearray(16 * 1024 * 1024))
            elif action == 'env':
                result['vars'] = dict(os.environ)
                result['headers'] = headers
            elif action == 'hello':
                result['greeting'] = os.environ.get('GREETING')
                result['layer'] = None
                if os.path.isdir('/opt/python'):
                    if '/opt/python' not in sys.path:
                        sys.path.insert(0, '/opt/python')
                    import matrix_layer
                    result['layer'] = matrix_layer.describe()
                with open('/tmp/hello.txt', 'a') as f:
                    f.write(str(event.get('value')) + '\n')
                with open('/tmp/hello.txt') as f:
                    result['tmp'] = f.read()
            elif action == 'tmp-write':
                with open('/tmp/state.txt', 'a') as f:
                    f.write(event['value'] + '\n')
            elif action == 'tmp-read':
                result['tmp'] = open('/tmp/state.txt').read() if os.path.exists('/tmp/state.txt') else None
            elif action == 'print':
                for line in event['lines']:
                    print(line)
            elif action == 'big':
                result['data'] = 'x' * event['size']
            if action == 'stream':
                raw = socket.create_connection((host, int(port)))
                raw.sendall((f'POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\nHost: {api}\r\n'
                             'Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n'
                             'Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n').encode())
                for chunk in event['chunks']:
                    data = chunk.encode()
                    raw.sendall(f'{len(data):x}\r\n'.encode() + data + b'\r\n')
                    time.sleep(0.05)
                trailer = b''
                if event.get('fail'):
                    err = base64.b64encode(json.dumps({'errorType': 'StreamError', 'errorMessage': 'broke mid-stream'}).encode())
                    trailer = b'Lambda-Runtime-Function-Error-Type: StreamError\r\nLambda-Runtime-Function-Error-Body: ' + err + b'\r\n'
                raw.sendall(b'0\r\n' + trailer + b'\r\n')
                raw.recv(4096)
                raw.close()
                continue
            if action == 'error':
                conn.request('POST', f'/2018-06-01/runtime/invocation/{rid}/error',
                             json.dumps({'errorType': 'TestError', 'errorMessage': 'failed on purpose', 'trace': []}))
            else:
                conn.request('POST', f'/2018-06-01/runtime/invocation/{rid}/response', json.dumps(result))
            resp = conn.getresponse()
            resp.read()
            if resp.status != 202:
                print('runtime api refused', resp.status)
        """;

    public static byte[] Zip(string bootstrap = Bootstrap) => Zips.Executable(("bootstrap", bootstrap.Replace("\r", "", StringComparison.Ordinal)));

    public static object CreateRequest(string name, int memory = 1769, int timeout = 10, Dictionary<string, string>? env = null,
        List<string>? layers = null, bool publish = false) => new
    {
        FunctionName = name,
        Runtime = "provided.al2023",
        Role = "arn:aws:iam::000000000000:role/lambda-role",
        Handler = "unused",
        Code = new { ZipFile = Convert.ToBase64String(Zip()) },
        MemorySize = memory,
        Timeout = timeout,
        Environment = env is null ? null : new { Variables = env },
        Layers = layers,
        Publish = publish,
    };
}
