using System.Security.Cryptography;
using System.Text;
using Lamina.Core.Auth;

namespace Lamina.Tests.Core;

public sealed class SigV4Tests
{
    // The AWS SigV4 test suite's credentials and clock (reference/security.md section 7).
    private const string AccessKey = "AKIDEXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private sealed class FakeRequest(string method, string rawPath, string rawQuery, Dictionary<string, string> headers, byte[] body) : ISigV4Request
    {
        public string Method => method;
        public string RawPath => rawPath;
        public string RawQuery => rawQuery;
        public string PayloadHash { get; } = Convert.ToHexStringLower(SHA256.HashData(body));
        public Dictionary<string, string> Headers { get; } = headers;
        public string? Header(string lowerName) => Headers.GetValueOrDefault(lowerName);
    }

    [Fact]
    public void Sign_GetVanillaSuiteVector_MatchesPublishedSignature()
    {
        // get-vanilla: GET / with host and x-amz-date; published signature from the AWS SigV4 test suite.
        var canonical = SigV4.BuildCanonicalRequest("GET", SigV4.CanonicalUri("/"), "", ["host", "x-amz-date"],
            n => n == "host" ? "example.amazonaws.com" : "20150830T123600Z", SigV4.EmptyPayloadHash);
        var key = SigV4.DeriveSigningKey(Secret, "20150830", "us-east-1", "service");
        var signature = SigV4.Sign(key, SigV4.StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical));
        Assert.Equal("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", signature);
    }

    private static FakeRequest Signed(string method, string pathAndQuery, byte[] body, DateTimeOffset at, string service = "lambda")
    {
        var url = new Uri("http://127.0.0.1:9600" + pathAndQuery);
        var headers = new Dictionary<string, string> { ["host"] = "127.0.0.1:9600", ["content-type"] = "application/json" };
        foreach (var (name, value) in SigV4Signer.SignHeaders(method, url, new Dictionary<string, string> { ["content-type"] = "application/json" },
                     body, AccessKey, Secret, "us-east-1", service, at))
        {
            headers[name.ToLowerInvariant()] = value;
        }

        var raw = url.PathAndQuery;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        return new FakeRequest(method, q < 0 ? raw : raw[..q], q < 0 ? "" : raw[(q + 1)..], headers, body);
    }

    private static bool Verifies(FakeRequest request, DateTimeOffset now)
    {
        if (!SigV4Verifier.TryParse(request, now, "us-east-1", out var signature, out _))
        {
            return false;
        }

        return SigV4Verifier.Verify(request, signature, SigV4.DeriveSigningKey(Secret, signature.ScopeDate, signature.Region, signature.Service));
    }

    [Fact]
    public void Verify_SignedRequest_Accepted()
    {
        var request = Signed("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations?Qualifier=%24LATEST",
            "{\"a\":1}"u8.ToArray(), SuiteTime);
        Assert.True(Verifies(request, SuiteTime.AddSeconds(30)));
    }

    [Fact]
    public void Verify_BodySwapped_Rejected()
    {
        var request = Signed("POST", "/2015-03-31/functions", "{\"a\":1}"u8.ToArray(), SuiteTime);
        var swapped = new FakeRequest(request.Method, request.RawPath, request.RawQuery, request.Headers, "{\"a\":2}"u8.ToArray());
        Assert.False(SigV4Verifier.TryParse(swapped, SuiteTime, "us-east-1", out _, out var problem) && Verifies(swapped, SuiteTime));
    }

    [Fact]
    public void Verify_FlippedSignatureByte_Rejected()
    {
        var request = Signed("GET", "/2015-03-31/functions", [], SuiteTime);
        var auth = request.Headers["authorization"];
        var flipped = auth[..^1] + (auth[^1] == '0' ? '1' : '0');
        request.Headers["authorization"] = flipped;
        Assert.False(Verifies(request, SuiteTime));
    }

    [Fact]
    public void Verify_QueryChangedAfterSigning_Rejected()
    {
        var request = Signed("GET", "/2015-03-31/functions?MaxItems=5", [], SuiteTime);
        var tampered = new FakeRequest("GET", request.RawPath, "MaxItems=6", request.Headers, []);
        Assert.False(Verifies(tampered, SuiteTime));
    }

    [Theory]
    [InlineData(299, true)]
    [InlineData(301, false)]
    [InlineData(-299, true)]
    [InlineData(-301, false)]
    public void Verify_ClockSkew_FiveMinuteLimit(int skewSeconds, bool accepted)
    {
        var request = Signed("GET", "/2015-03-31/functions", [], SuiteTime);
        var ok = SigV4Verifier.TryParse(request, SuiteTime.AddSeconds(skewSeconds), "us-east-1", out _, out var problem);
        Assert.Equal(accepted, ok);
        if (!accepted)
        {
            Assert.Equal(AuthFailure.SignatureExpired, problem!.Failure);
        }
    }

    [Fact]
    public void Parse_WrongRegionScope_Rejected()
    {
        var request = Signed("GET", "/2015-03-31/functions", [], SuiteTime);
        Assert.False(SigV4Verifier.TryParse(request, SuiteTime, "eu-west-1", out _, out var problem));
        Assert.Contains("region", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ScopeDateDiffersFromRequestDate_Rejected()
    {
        var request = Signed("GET", "/2015-03-31/functions", [], SuiteTime);
        request.Headers["authorization"] = request.Headers["authorization"].Replace("/20150830/", "/20150831/", StringComparison.Ordinal);
        Assert.False(SigV4Verifier.TryParse(request, SuiteTime, "us-east-1", out _, out var problem));
        Assert.Contains("Date in Credential scope does not match", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HostNotSigned_Rejected()
    {
        var request = Signed("GET", "/2015-03-31/functions", [], SuiteTime);
        request.Headers["authorization"] = request.Headers["authorization"].Replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;",
            StringComparison.Ordinal);
        Assert.False(SigV4Verifier.TryParse(request, SuiteTime, "us-east-1", out _, out var problem));
        Assert.Contains("Host", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ContentHashHeaderMismatch_Rejected()
    {
        var request = Signed("POST", "/2015-03-31/functions", "{}"u8.ToArray(), SuiteTime);
        request.Headers["x-amz-content-sha256"] = SigV4.EmptyPayloadHash;
        Assert.False(SigV4Verifier.TryParse(request, SuiteTime, "us-east-1", out _, out var problem));
        Assert.Contains("x-amz-content-sha256", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Presign_Then_Verify_RoundTripsAndExpires()
    {
        var url = SigV4Signer.Presign(new Uri("http://127.0.0.1:9600/_lamina/code/abc"), AccessKey, Secret, "us-east-1", "lambda", SuiteTime,
            TimeSpan.FromMinutes(10));
        var uri = new Uri(url);
        var request = new FakeRequest("GET", uri.AbsolutePath, uri.Query[1..], new Dictionary<string, string> { ["host"] = "127.0.0.1:9600" }, []);
        Assert.True(Verifies(request, SuiteTime.AddMinutes(9)));
        Assert.False(SigV4Verifier.TryParse(request, SuiteTime.AddMinutes(11), "us-east-1", out _, out var problem));
        Assert.Equal(AuthFailure.SignatureExpired, problem!.Failure);
    }

    [Fact]
    public void Presign_ExpiresOutOfRange_Rejected()
    {
        var url = SigV4Signer.Presign(new Uri("http://h/x"), AccessKey, Secret, "us-east-1", "lambda", SuiteTime, TimeSpan.FromDays(8));
        var uri = new Uri(url);
        var request = new FakeRequest("GET", uri.AbsolutePath, uri.Query[1..], new Dictionary<string, string> { ["host"] = "h" }, []);
        Assert.False(SigV4Verifier.TryParse(request, SuiteTime, "us-east-1", out _, out var problem));
        Assert.Contains("X-Amz-Expires", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UriEncode_Reserved_PercentEncodedUppercase()
    {
        Assert.Equal("a%20b%2Fc~-._%24", SigV4.UriEncode("a b/c~-._$", keepSlash: false));
        Assert.Equal("/a%253Ab", SigV4.CanonicalUri("/a%3Ab"));
        Assert.Equal(Encoding.UTF8.GetByteCount("é") * 3, SigV4.UriEncode("é", false).Length);
    }
}
