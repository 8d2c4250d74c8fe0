using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Lamina.Core.Auth;
using Lamina.Tests.Support;

namespace Lamina.Tests.Core;

/// <summary>Differential test: requests signed by botocore (the AWS CLI's and boto3's signer) must verify.</summary>
public sealed class SigV4BotocoreTests
{
    private const string Script = """
        import json, sys, datetime
        from botocore.auth import SigV4Auth, SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        creds = Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', None)
        cases = [
          ('GET', 'http://127.0.0.1:9600/2015-03-31/functions?MaxItems=5&Marker=a%2Bb%3D', b''),
          ('POST', 'http://127.0.0.1:9600/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations?Qualifier=%24LATEST', b'{"k": "v \\u00e9"}'),
          ('DELETE', 'http://127.0.0.1:9600/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af?tagKeys=b&tagKeys=a', b''),
          ('PUT', 'http://127.0.0.1:9600/2015-03-31/functions/my-fn/configuration', b'{"MemorySize": 256}'),
          ('GET', 'http://127.0.0.1:9600/2018-10-31/layers?find=LayerVersion&Arn=arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Alayer%3Al%3A1', b''),
        ]
        out = []
        for method, url, body in cases:
            r = AWSRequest(method=method, url=url, data=body, headers={'Content-Type': 'application/json'})
            SigV4Auth(creds, 'lambda', 'us-east-1').add_auth(r)
            p = r.prepare()
            out.append({'method': method, 'url': p.url, 'headers': {k.lower(): v for k, v in p.headers.items()}, 'body': body.hex()})
        q = AWSRequest(method='GET', url='http://127.0.0.1:9600/_lamina/code/abc')
        SigV4QueryAuth(creds, 'lambda', 'us-east-1', expires=600).add_auth(q)
        pq = q.prepare()
        out.append({'method': 'GET', 'url': pq.url, 'headers': {'host': '127.0.0.1:9600'}, 'body': ''})
        print(json.dumps(out))
        """;

    private sealed class WireRequest(string method, Uri url, Dictionary<string, string> headers, byte[] body) : ISigV4Request
    {
        public string Method => method;
        public string RawPath => url.AbsolutePath;
        public string RawQuery => url.Query.Length > 0 ? url.Query[1..] : "";
        public string PayloadHash { get; } = Convert.ToHexStringLower(SHA256.HashData(body));
        public string? Header(string lowerName) => lowerName == "host" ? headers.GetValueOrDefault("host", "127.0.0.1:9600") : headers.GetValueOrDefault(lowerName);
    }

    [Fact]
    public async Task Verify_BotocoreSignedRequests_AllAccepted_AndTamperedRejected()
    {
        var result = await ProcessRunner.RunAsync("python3", ["-c", Script]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var cases = JsonNode.Parse(result.Stdout)!.AsArray();
        Assert.Equal(6, cases.Count);
        foreach (var item in cases)
        {
            var headers = item!["headers"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
            var body = Convert.FromHexString(item["body"]!.GetValue<string>());
            // UriKind.Absolute with dontEscape semantics: keep the wire form exactly.
            var url = new Uri(item["url"]!.GetValue<string>(), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            var request = new WireRequest(item["method"]!.GetValue<string>(), url, headers, body);
            var now = DateTimeOffset.UtcNow;
            Assert.True(SigV4Verifier.TryParse(request, now, "us-east-1", out var signature, out var problem), $"{url}: {problem}");
            var key = SigV4.DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", signature.ScopeDate, signature.Region, signature.Service);
            Assert.True(SigV4Verifier.Verify(request, signature, key), $"botocore-signed request did not verify: {url}");

            var tampered = new WireRequest(request.Method, new Uri(url + (url.Query.Length > 0 ? "&x=1" : "?x=1")), headers, body);
            Assert.False(SigV4Verifier.Verify(tampered, signature, key), $"tampered request verified: {url}");
        }
    }
}
