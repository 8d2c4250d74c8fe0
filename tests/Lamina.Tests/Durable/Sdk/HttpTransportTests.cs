using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lamina.Core.Auth;
using Lamina.Durable;

namespace Lamina.Tests.Durable.Sdk;

public sealed class HttpTransportTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private sealed record Sent(HttpMethod Method, Uri Url, Dictionary<string, string> Headers, byte[] Body);

    /// <summary>Answers with the queued responses and keeps what was sent.</summary>
    private sealed class ScriptedHandler(params Func<HttpResponseMessage>[] responses) : HttpMessageHandler
    {
        private int _next;

        public List<Sent> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            if (request.Content is not null)
            {
                foreach (var h in request.Content.Headers)
                {
                    headers[h.Key.ToLowerInvariant()] = string.Join(",", h.Value);
                }
            }

            headers["host"] = request.RequestUri!.IsDefaultPort ? request.RequestUri.Host : $"{request.RequestUri.Host}:{request.RequestUri.Port}";
            Requests.Add(new Sent(request.Method, request.RequestUri!, headers, body));
            return responses[Math.Min(_next++, responses.Length - 1)]();
        }
    }

    private sealed class WireRequest(Sent sent) : ISigV4Request
    {
        public string Method => sent.Method.Method;
        public string RawPath => sent.Url.AbsolutePath;
        public string RawQuery => sent.Url.Query.TrimStart('?');
        public string PayloadHash => Convert.ToHexStringLower(SHA256.HashData(sent.Body));
        public string? Header(string lowerName) => sent.Headers.GetValueOrDefault(lowerName);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body, string? errorType = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (errorType is not null)
        {
            response.Headers.Add("X-Amzn-ErrorType", errorType);
        }

        return response;
    }

    private static LambdaDurableExecutionClient Client(ScriptedHandler handler) => new(new LambdaClientOptions
    {
        Endpoint = new Uri("http://127.0.0.1:9600"),
        Region = "us-east-1",
        Credentials = new AwsCredentials(AccessKey, Secret, "session-token"),
        Handler = handler,
    });

    private static bool Verifies(Sent sent)
    {
        var request = new WireRequest(sent);
        return SigV4Verifier.TryParse(request, DateTimeOffset.UtcNow, "us-east-1", out var signature, out _) &&
            signature.Service == "lambda" && signature.SecurityToken == "session-token" &&
            SigV4Verifier.Verify(request, signature, SigV4.DeriveSigningKey(Secret, signature.ScopeDate, signature.Region, signature.Service));
    }

    [Fact]
    public async Task Checkpoint_SignedRetriedWithSameClientToken_ReadsEpochSeconds()
    {
        var handler = new ScriptedHandler(
            () => Json(HttpStatusCode.InternalServerError, "{\"Type\":\"Service\",\"message\":\"busy\"}", "ServiceException"),
            () => Json(HttpStatusCode.OK, "{\"CheckpointToken\":\"next\",\"NewExecutionState\":{\"Operations\":[{\"Id\":\"c4ca4238a0b92382\"," +
                "\"Type\":\"WAIT\",\"Status\":\"STARTED\",\"StartTimestamp\":1767225600.5,\"WaitDetails\":{\"ScheduledEndTimestamp\":1767225610}}]}}"));
        using var client = Client(handler);

        var response = await client.CheckpointAsync(new CheckpointDurableExecutionRequest
        {
            DurableExecutionArn = InMemoryDurableService.Arn,
            CheckpointToken = "abc+/=",
            Updates = [new OperationUpdate { Id = "c4ca4238a0b92382", Type = "WAIT", SubType = "Wait", Action = "START", WaitOptions = new WaitOptions { WaitSeconds = 10 } }],
        }, CancellationToken.None);

        Assert.Equal("next", response.CheckpointToken);
        var op = Assert.Single(response.NewExecutionState!.Operations!);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_500), op.StartTimestamp);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_767_225_610), op.WaitDetails!.ScheduledEndTimestamp);

        Assert.Equal(2, handler.Requests.Count);
        var sent = handler.Requests[0];
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("/2025-12-01/durable-executions/" + Uri.EscapeDataString(InMemoryDurableService.Arn) + "/checkpoint", sent.Url.AbsolutePath);
        Assert.Contains("%2Fdurable-execution%2F", sent.Url.AbsolutePath, StringComparison.Ordinal);
        Assert.All(handler.Requests, r => Assert.True(Verifies(r), "the signature does not verify"));

        using var body = JsonDocument.Parse(sent.Body);
        Assert.Equal("abc+/=", body.RootElement.GetProperty("CheckpointToken").GetString());
        Assert.False(body.RootElement.TryGetProperty("DurableExecutionArn", out _));
        var clientToken = body.RootElement.GetProperty("ClientToken").GetString();
        Assert.False(string.IsNullOrEmpty(clientToken));
        Assert.Equal(sent.Body, handler.Requests[1].Body);
        var update = body.RootElement.GetProperty("Updates")[0];
        Assert.Equal("{\"Id\":\"c4ca4238a0b92382\",\"Type\":\"WAIT\",\"SubType\":\"Wait\",\"Action\":\"START\",\"WaitOptions\":{\"WaitSeconds\":10}}", update.GetRawText());
    }

    [Fact]
    public async Task GetState_EncodesQueryAndReportsStaleTokenWithoutRetrying()
    {
        var handler = new ScriptedHandler(() => Json(HttpStatusCode.BadRequest,
            "{\"Type\":\"User\",\"message\":\"Invalid Checkpoint Token: stale\"}", "InvalidParameterValueException:http://internal.amazon.com/"));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<DurableExecutionClientException>(() => client.GetExecutionStateAsync(new GetDurableExecutionStateRequest
        {
            DurableExecutionArn = InMemoryDurableService.Arn,
            CheckpointToken = "t+k/n=",
            Marker = "m 1",
            MaxItems = 1000,
        }, CancellationToken.None));

        Assert.Equal((400, "InvalidParameterValueException", "Invalid Checkpoint Token: stale"), (error.StatusCode, error.ErrorCode, error.Message));
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Get, sent.Method);
        Assert.EndsWith("/state", sent.Url.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("?CheckpointToken=t%2Bk%2Fn%3D&Marker=m%201&MaxItems=1000", sent.Url.Query);
        Assert.True(Verifies(sent));
        Assert.IsType<CheckpointUnrecoverableInvocationException>(await ExecutionStateClassifierAsync(error));
    }

    // The SDK's own classification of the same error, reached through a handler run.
    private static Task<Exception> ExecutionStateClassifierAsync(DurableExecutionClientException error)
    {
        var service = new InMemoryDurableService();
        service.Faults.Enqueue(error);
        var handler = DurableHarness.Wrap<object, int>(service, (_, ctx) => ctx.StepAsync("a", _ => Task.FromResult(1)));
        return Assert.ThrowsAnyAsync<Exception>(() => handler.HandleAsync(service.NextInvocation(), null, CancellationToken.None));
    }

    [Fact]
    public void FromEnvironment_PrefersLambdaEndpointAndReadsCredentials()
    {
        var variables = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = "http://general:1",
            ["AWS_ENDPOINT_URL_LAMBDA"] = "http://lamina:9600",
            ["AWS_REGION"] = "eu-west-1",
            ["AWS_ACCESS_KEY_ID"] = "AKID",
            ["AWS_SECRET_ACCESS_KEY"] = "SECRET",
            ["AWS_SESSION_TOKEN"] = "TOKEN",
        };
        var options = LambdaClientOptions.FromEnvironment(variables.GetValueOrDefault);
        Assert.Equal(new Uri("http://lamina:9600"), options.Endpoint);
        Assert.Equal("eu-west-1", options.Region);
        Assert.Equal(new AwsCredentials("AKID", "SECRET", "TOKEN"), options.Credentials);

        variables.Remove("AWS_ENDPOINT_URL_LAMBDA");
        Assert.Equal(new Uri("http://general:1"), LambdaClientOptions.FromEnvironment(variables.GetValueOrDefault).Endpoint);
        Assert.Equal(new Uri("https://lambda.us-east-1.amazonaws.com"), LambdaClientOptions.FromEnvironment(_ => null).Endpoint);
    }
}
