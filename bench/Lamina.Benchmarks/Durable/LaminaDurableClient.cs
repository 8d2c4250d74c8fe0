using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.Durable;

/// <summary>The few Lambda and IAM calls the durable benchmark makes, SigV4-signed with Lamina's own signer.</summary>
internal sealed class LaminaDurableClient(Uri endpoint, AwsCredentials credentials) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        // The longest call is an execution that waits 2 s or runs 64 x 20 steps beside others; an execution
        // whose invocations keep failing would otherwise hold a synchronous invoke for 15 minutes.
        Timeout = TimeSpan.FromSeconds(90),
    };

    /// <summary>A role Lambda may assume, with the managed policy that allows checkpoints and state reads.</summary>
    public async Task<string> CreateDurableRoleAsync(string roleName, CancellationToken cancellationToken)
    {
        const string Trust =
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";
        var created = await IamAsync($"Action=CreateRole&Version=2010-05-08&RoleName={roleName}&AssumeRolePolicyDocument={Uri.EscapeDataString(Trust)}",
            cancellationToken);
        await IamAsync($"Action=AttachRolePolicy&Version=2010-05-08&RoleName={roleName}&PolicyArn=" +
            Uri.EscapeDataString("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy"), cancellationToken);
        return XDocument.Parse(created).Descendants().First(e => e.Name.LocalName == "Arn").Value;
    }

    public async Task CreateFunctionAsync(string name, string role, string handler, byte[] zip, int memoryMb, CancellationToken cancellationToken)
    {
        var function = new JsonObject
        {
            ["FunctionName"] = name,
            ["Runtime"] = "nodejs20.x",
            ["Role"] = role,
            ["Handler"] = handler,
            ["Timeout"] = 60,
            ["MemorySize"] = memoryMb,
            ["Code"] = new JsonObject { ["ZipFile"] = Convert.ToBase64String(zip) },
            ["DurableConfig"] = new JsonObject { ["ExecutionTimeout"] = 600, ["RetentionPeriodInDays"] = 1 },
        };
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/2015-03-31/functions", Encoding.UTF8.GetBytes(function.ToJsonString()), cancellationToken);
        Expect(status, HttpStatusCode.Created, "CreateFunction", body);
    }

    /// <summary>A synchronous durable invoke of <c>$LATEST</c>: returns when the execution has closed.</summary>
    public async Task<DurableInvokeResult> InvokeAsync(string function, JsonObject payload, CancellationToken cancellationToken)
    {
        var (status, body, response) = await SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{function}/invocations?Qualifier=%24LATEST",
            Encoding.UTF8.GetBytes(payload.ToJsonString()), cancellationToken);
        Expect(status, HttpStatusCode.OK, "Invoke", body);
        if (response.Headers.TryGetValues("X-Amz-Function-Error", out var error))
        {
            throw new InvalidOperationException($"The durable execution failed ({string.Join(',', error)}): {body}");
        }

        var arn = response.Headers.GetValues("X-Amz-Durable-Execution-Arn").First();
        return new DurableInvokeResult(arn, JsonNode.Parse(body)!);
    }

    /// <summary>Every history event of an execution, in order.</summary>
    public async Task<List<JsonObject>> HistoryAsync(string arn, CancellationToken cancellationToken)
    {
        var events = new List<JsonObject>();
        string? marker = null;
        do
        {
            var path = $"/2025-12-01/durable-executions/{Uri.EscapeDataString(arn)}/history?IncludeExecutionData=true&MaxItems=1000" +
                (marker is null ? "" : "&Marker=" + Uri.EscapeDataString(marker));
            var (status, body, _) = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
            Expect(status, HttpStatusCode.OK, "GetDurableExecutionHistory", body);
            var page = JsonNode.Parse(body)!;
            events.AddRange(page["Events"]!.AsArray().Select(e => e!.AsObject()));
            marker = page["NextMarker"]?.GetValue<string>();
        }
        while (marker is not null);
        return events;
    }

    /// <summary>An EpochSeconds timestamp of the API (a number with millisecond decimals) in epoch milliseconds.</summary>
    public static double EpochMs(JsonNode node) => Math.Round(node.GetValue<double>() * 1000);

    private async Task<string> IamAsync(string form, CancellationToken cancellationToken)
    {
        var request = SignedRequest.Sign(HttpMethod.Post, new Uri(endpoint, "/"), credentials with { Region = "us-east-1" }, "iam", DateTimeOffset.UtcNow,
            Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded; charset=utf-8");
        using var message = request.ToMessage();
        using var response = await _http.SendAsync(message, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Expect(response.StatusCode, HttpStatusCode.OK, form[..form.IndexOf('&', StringComparison.Ordinal)], body);
        return body;
    }

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string pathAndQuery, byte[]? body,
        CancellationToken cancellationToken)
    {
        var request = SignedRequest.Sign(method, new Uri(endpoint, pathAndQuery), credentials, "lambda", DateTimeOffset.UtcNow, body,
            body is null ? null : "application/json");
        using var message = request.ToMessage();
        var response = await _http.SendAsync(message, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        response.Dispose();
        return (response.StatusCode, text, response);
    }

    private static void Expect(HttpStatusCode status, HttpStatusCode expected, string what, string body)
    {
        if (status != expected)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{what} answered {(int)status}, expected {(int)expected}: {body}"));
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A closed execution: its ARN and the handler's result.</summary>
internal sealed record DurableInvokeResult(string Arn, JsonNode Result);
