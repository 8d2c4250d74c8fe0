namespace Lamina.Tests.Support;

/// <summary>
/// An external extension (stdlib Python, any runtime) that registers for INVOKE and SHUTDOWN through the
/// Extensions API and prints each event, so tests can read what it saw from the function's log group.
/// </summary>
public static class TestExtension
{
    public const string Probe = """
        #!/usr/bin/python3 -u
        import http.client, json, os
        host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
        # One write(2) per line: `python3 -u` print() issues a write per argument, and the runtime shares this
        # stdout pipe, so a line could be split by one of its lines (seen in CI as "EVENTEXT INVOKE ...").
        def print(*parts):
            os.write(1, (' '.join(map(str, parts)) + '\n').encode())
        c = http.client.HTTPConnection(host, int(port))
        c.request('POST', '/2020-01-01/extension/register', json.dumps({'events': ['INVOKE', 'SHUTDOWN']}), {'Lambda-Extension-Name': 'probe'})
        r = c.getresponse(); info = json.loads(r.read()); ext_id = r.getheader('Lambda-Extension-Identifier')
        print('EXT registered', info['functionName'], 'handler' in info, '_HANDLER' in os.environ)
        while True:
            c.request('GET', '/2020-01-01/extension/event/next', headers={'Lambda-Extension-Identifier': ext_id})
            r = c.getresponse(); event = json.loads(r.read())
            if event['eventType'] == 'INVOKE':
                print('EXT INVOKE', event['requestId'])
            else:
                print('EXT SHUTDOWN', event['shutdownReason'])
                break
        """;

    /// <summary>A layer holding the probe as <c>extensions/probe</c>, where Lambda looks for external extensions.</summary>
    public static byte[] LayerZip() => Zips.Executable(("extensions/probe", Probe.Replace("\r", "", StringComparison.Ordinal)));
}
