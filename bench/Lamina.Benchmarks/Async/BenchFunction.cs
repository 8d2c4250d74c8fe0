using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Async;

/// <summary>The function under load: a custom runtime (provided.al2023) that reports every event start to the sink.</summary>
internal static partial class BenchFunction
{
    /// <summary>
    /// A stdlib Python bootstrap speaking the Runtime API. It reads the clock as soon as <c>/next</c> returns an
    /// event, reports that time with the request id to the sink, then answers <c>{}</c>. The sink call sits
    /// before the answer so a report is out before the event counts as done; it costs about a loopback round trip.
    /// An event with <c>"hold": seconds</c> keeps its environment busy that long (the warm-up's bursts use it).
    /// </summary>
    private static readonly string Bootstrap = $$"""
        #!/usr/bin/python3 -u
        import http.client, json, os, time, uuid
        runtime_host, runtime_port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
        runtime = http.client.HTTPConnection(runtime_host, int(runtime_port))
        environment = uuid.uuid4().hex
        reports = None
        served = 0

        def report(line):
            global reports
            for _ in range(3):
                try:
                    reports = reports or http.client.HTTPConnection('{{SinkNamespace.Address}}', {{SinkNamespace.Port}}, timeout=10)
                    reports.request('POST', '/', line, {'Content-Type': 'application/json'})
                    reports.getresponse().read()
                    return
                except OSError:
                    reports = None

        while True:
            runtime.request('GET', '/2018-06-01/runtime/invocation/next')
            event = runtime.getresponse()
            started = time.time()
            body = event.read()
            request_id = event.getheader('Lambda-Runtime-Aws-Request-Id')
            served += 1
            report(json.dumps({'rid': request_id, 't': started, 'env': environment, 'n': served}))
            time.sleep(json.loads(body).get('hold', 0))
            runtime.request('POST', '/2018-06-01/runtime/invocation/' + request_id + '/response', '{}')
            runtime.getresponse().read()
        """;

    /// <summary>
    /// Creates the execution role through the IAM query API (<c>CreateRole</c>), then the function through the
    /// Lambda API, as a user would. Returns the role's ARN.
    /// </summary>
    public static async Task<string> CreateAsync(ServerUnderTest lamina, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var roleXml = Encoding.UTF8.GetString(await FunctionSeeder.CreateRoleAsync(http, lamina, cancellationToken));
        var roleArn = ArnElement().Match(roleXml) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"CreateRole answered without a role ARN: {roleXml}");

        var function = new JsonObject
        {
            ["FunctionName"] = AsyncSettings.FunctionName,
            ["Runtime"] = "provided.al2023",
            ["Role"] = roleArn,
            ["Handler"] = "unused",
            ["Description"] = "asynchronous-invocation benchmark: reports each event start to a sink",
            ["Timeout"] = 10,
            ["MemorySize"] = 128,
            ["Code"] = new JsonObject
            {
                ["ZipFile"] = Convert.ToBase64String(FunctionSeeder.Zip("bootstrap", Bootstrap.Replace("\r", "", StringComparison.Ordinal), executable: true)),
            },
        };
        var body = Encoding.UTF8.GetBytes(function.ToJsonString());
        await FunctionSeeder.SendExpectingAsync(http,
            SignedRequest.Sign(HttpMethod.Post, new Uri(lamina.Endpoint, "/2015-03-31/functions"), lamina.Credentials, "lambda", DateTimeOffset.UtcNow,
                body, "application/json"),
            HttpStatusCode.Created, cancellationToken);
        return roleArn;
    }

    /// <summary>An Event invocation of the function with <paramref name="payload"/>, signed as an SDK signs it.</summary>
    public static SignedRequest EventRequest(ServerUnderTest lamina, byte[] payload, DateTimeOffset now) =>
        SignedRequest.Sign(HttpMethod.Post, new Uri(lamina.Endpoint, $"/2015-03-31/functions/{AsyncSettings.FunctionName}/invocations"),
            lamina.Credentials, "lambda", now, payload, "application/json", [new("X-Amz-Invocation-Type", "Event")]);

    /// <summary>A JSON event of exactly <paramref name="bytes"/> bytes (at least 12): <c>{"pad":"xxx…"}</c>.</summary>
    public static byte[] Payload(int bytes) =>
        Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', Math.Max(0, bytes - 10)) + "\"}");

    /// <summary>An event that keeps its environment busy for <paramref name="seconds"/>.</summary>
    public static byte[] HoldPayload(int seconds) => Encoding.UTF8.GetBytes($"{{\"hold\":{seconds}}}");

    [GeneratedRegex("<Arn>([^<]+)</Arn>")]
    private static partial Regex ArnElement();
}
