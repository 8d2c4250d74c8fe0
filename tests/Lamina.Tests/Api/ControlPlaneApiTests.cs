using Lamina.Tests.Support;

namespace Lamina.Tests.Api;

/// <summary>The Lambda control plane over real HTTP with a raw signed client: wire shapes and errors.</summary>
public sealed class ControlPlaneApiTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private static object CreateRequest(string name, int? memory = null) => new
    {
        FunctionName = name,
        Runtime = "nodejs20.x",
        Role = "arn:aws:iam::000000000000:role/lambda-role",
        Handler = "index.handler",
        Code = new { ZipFile = Convert.ToBase64String(Zips.NodeHandler()) },
        MemorySize = memory ?? 128,
    };

    [Fact]
    public async Task CreateFunction_ThenGet_ReturnsConfigurationAndPresignedCode()
    {
        using var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", CreateRequest("api-get"));
        Assert.Equal(201, created.Status);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:api-get", created.Json["FunctionArn"]!.GetValue<string>());

        var got = await client.GetAsync("/2015-03-31/functions/api-get");
        Assert.Equal(200, got.Status);
        var location = got.Json["Code"]!["Location"]!.GetValue<string>();
        using var http = new HttpClient();
        var zip = await http.GetByteArrayAsync(location);
        Assert.Equal(Zips.NodeHandler(), zip);

        using var tampered = await http.GetAsync(location.Replace("X-Amz-Expires=600", "X-Amz-Expires=6000", StringComparison.Ordinal));
        Assert.Equal(403, (int)tampered.StatusCode);
    }

    [Fact]
    public async Task GetAndList_AfterEachUpdate_ReturnTheNewConfiguration()
    {
        // Reads reuse prepared statements and parsed configurations; neither may hide a write.
        using var client = fixture.Client();
        Assert.Equal(201, (await client.PostAsync("/2015-03-31/functions", CreateRequest("api-fresh"))).Status);
        for (var i = 0; i < 3; i++)
        {
            var description = $"revision {i}";
            Assert.Equal(200, (await client.PutAsync("/2015-03-31/functions/api-fresh/configuration", new { Description = description, MemorySize = 128 + i })).Status);

            var got = await client.GetAsync("/2015-03-31/functions/api-fresh");
            Assert.Equal(description, got.Json["Configuration"]!["Description"]!.GetValue<string>());
            Assert.Equal(128 + i, got.Json["Configuration"]!["MemorySize"]!.GetValue<int>());

            var listed = (await client.GetAsync("/2015-03-31/functions?MaxItems=50")).Json["Functions"]!.AsArray()
                .Single(f => f!["FunctionName"]!.GetValue<string>() == "api-fresh")!;
            Assert.Equal(description, listed["Description"]!.GetValue<string>());
            Assert.Equal(128 + i, listed["MemorySize"]!.GetValue<int>());
        }

        Assert.Equal(204, (await client.DeleteAsync("/2015-03-31/functions/api-fresh")).Status);
        Assert.Equal(404, (await client.GetAsync("/2015-03-31/functions/api-fresh")).Status);
    }

    [Fact]
    public async Task Responses_EscapeOnlyWhatJsonRequires()
    {
        // AWS writes '+', apostrophes and angle brackets literally; a default encoder would write \u002B and friends.
        using var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = "api-escape",
            Runtime = "nodejs20.x",
            Role = "arn:aws:iam::000000000000:role/lambda-role",
            Handler = "index.handler",
            Code = new { ZipFile = Convert.ToBase64String(Zips.NodeHandler()) },
            Description = "it's a+b <i> & \"quoted\"",
        });
        Assert.Equal(201, created.Status);

        foreach (var response in new[] { created, await client.GetAsync("/2015-03-31/functions/api-escape"), await client.GetAsync("/2015-03-31/functions") })
        {
            Assert.Contains("\"Description\":\"it's a+b <i> & \\\"quoted\\\"\"", response.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("\\u00", response.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetFunction_Unknown_404WithAwsShape()
    {
        using var client = fixture.Client();
        var response = await client.GetAsync("/2015-03-31/functions/does-not-exist");
        Assert.Equal(404, response.Status);
        Assert.Equal("ResourceNotFoundException", response.ErrorType);
        Assert.Equal("User", response.Json["Type"]!.GetValue<string>());
        Assert.Equal("Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist", response.Json["Message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_WithoutSignature_403MissingAuthenticationToken()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Endpoint) };
        using var response = await http.GetAsync("/2015-03-31/functions");
        Assert.Equal(403, (int)response.StatusCode);
        Assert.Equal("MissingAuthenticationTokenException", response.Headers.GetValues("X-Amzn-ErrorType").Single());
    }

    [Fact]
    public async Task Request_UnknownKey_403UnrecognizedClient()
    {
        using var client = fixture.Client("AKIAUNKNOWNKEY000000", "secret");
        var response = await client.GetAsync("/2015-03-31/functions");
        Assert.Equal(403, response.Status);
        Assert.Equal("UnrecognizedClientException", response.ErrorType);
    }

    [Fact]
    public async Task Request_WrongSecret_403InvalidSignature()
    {
        using var client = fixture.Client(fixture.AccessKeyId, "not-the-secret");
        var response = await client.GetAsync("/2015-03-31/functions");
        Assert.Equal(403, response.Status);
        Assert.Equal("InvalidSignatureException", response.ErrorType);
    }

    [Fact]
    public async Task Request_SignedForAnotherService_403()
    {
        using var client = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "s3" };
        var response = await client.GetAsync("/2015-03-31/functions");
        Assert.Equal(403, response.Status);
        Assert.Contains("scoped to correct service: 'lambda'", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_SignedSixMinutesAgo_403SignatureExpired()
    {
        using var client = fixture.Client();
        var response = await client.SendAsync(HttpMethod.Get, "/2015-03-31/functions", signAt: DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal(403, response.Status);
        Assert.Equal("InvalidSignatureException", response.ErrorType);
        Assert.StartsWith("Signature expired", response.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateFunction_BodyOverLimit_413BeforeReadingIt()
    {
        using var client = fixture.Client();
        var response = await client.SendAsync(HttpMethod.Put, "/2015-03-31/functions/x/configuration", rawBody: new byte[7 * 1024 * 1024]);
        Assert.Equal(413, response.Status);
        Assert.Equal("RequestEntityTooLargeException", response.ErrorType);
    }

    [Fact]
    public async Task CreateFunction_OverLimitSentSlowerThanKestrelDrains_Still413()
    {
        // SDKs send the whole body before reading the response, and Kestrel drains an unread body for 5 s
        // only, then resets the connection: 72 MB sent at 10 MB/s over ~7 s must still get the AWS error.
        const int Size = 72_000_000;
        var endpoint = new Uri(fixture.Endpoint);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST /2015-03-31/functions HTTP/1.1\r\nHost: {endpoint.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Size}\r\n\r\n"));
        var chunk = new byte[1_000_000];
        for (var sent = 0; sent < Size; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk);
            await Task.Delay(100);
        }

        using var reader = new StreamReader(stream);
        Assert.Equal("HTTP/1.1 413 Payload Too Large", await reader.ReadLineAsync());
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        Assert.Equal("RequestEntityTooLargeException", headers["X-Amzn-ErrorType"]);
    }

    [Fact]
    public async Task CreateFunction_InvalidMemory_ValidationExceptionAndNothingCreated()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync("/2015-03-31/functions", CreateRequest("api-mem", 20000));
        Assert.Equal(400, response.Status);
        Assert.Equal("ValidationException", response.ErrorType);
        Assert.Equal(
            "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
            response.Json["message"]!.GetValue<string>());
        Assert.Equal(404, (await client.GetAsync("/2015-03-31/functions/api-mem")).Status);
    }

    [Fact]
    public async Task UnknownRoute_AuthenticatedThen404UnknownOperation()
    {
        using var client = fixture.Client();
        var response = await client.GetAsync("/2015-03-31/nothing-here");
        Assert.Equal(404, response.Status);
        Assert.Equal("UnknownOperationException", response.ErrorType);
    }

    [Fact]
    public async Task Health_NoAuth_200()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Endpoint) };
        using var response = await http.GetAsync("/health");
        Assert.Equal(200, (int)response.StatusCode);
    }
}
