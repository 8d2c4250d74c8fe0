using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lamina.Benchmarks.ControlPlane;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>The benchmark's functions in Lamina: an execution role, functions, config changes and single invokes, over Lamina's APIs.</summary>
internal sealed partial class LaminaFunctions(ServerUnderTest lamina) : IDisposable
{
    private const string RoleName = "bench-data-plane-role";

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    private string? _roleArn;

    public ServerUnderTest Server => lamina;

    /// <summary>
    /// Lamina only creates a function whose role exists in its account and trusts Lambda, so the role is made
    /// with IAM CreateRole (query API, SigV4 for service <c>iam</c>), as any client would.
    /// </summary>
    public async Task CreateRoleAsync(CancellationToken cancellationToken)
    {
        byte[] answer;
        try
        {
            answer = await FunctionSeeder.CreateRoleAsync(_http, lamina, cancellationToken, RoleName);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                "Lamina refused IAM CreateRole; this build may predate the IAM query API (POST / Action=CreateRole), which the data-plane " +
                "benchmark needs to give its functions an execution role. Point --lamina at a build that has it.\n" + ex.Message, ex);
        }

        _roleArn = RoleArn().Match(Encoding.UTF8.GetString(answer)) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException("CreateRole answered without an <Arn>: " + Encoding.UTF8.GetString(answer));
    }

    public async Task CreateAsync(string name, BenchRuntime runtime, int memoryMb, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var function = new JsonObject
        {
            ["FunctionName"] = name,
            ["Runtime"] = runtime.LaminaRuntime,
            ["Role"] = _roleArn ?? throw new InvalidOperationException("Create the role first."),
            ["Handler"] = runtime.Handler,
            ["Timeout"] = timeoutSeconds,
            ["MemorySize"] = memoryMb,
            ["Code"] = new JsonObject { ["ZipFile"] = Convert.ToBase64String(runtime.Zip()) },
        };
        await SendAsync(HttpMethod.Post, "/2015-03-31/functions", function, HttpStatusCode.Created, cancellationToken);
    }

    /// <summary>Sets the function's environment variables: a new revision of $LATEST, so the next invoke needs a new environment.</summary>
    public Task SetVariableAsync(string name, string key, string value, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, $"/2015-03-31/functions/{name}/configuration",
            new JsonObject { ["Environment"] = new JsonObject { ["Variables"] = new JsonObject { [key] = value } } }, HttpStatusCode.OK, cancellationToken);

    public Uri InvokeUrl(string name) => new(lamina.Endpoint, $"/2015-03-31/functions/{name}/invocations");

    public SignedRequest SignInvoke(string name, byte[] payload, DateTimeOffset now, bool tailLog = false) =>
        SignedRequest.Sign(HttpMethod.Post, InvokeUrl(name), lamina.Credentials, "lambda", now, payload, "application/json",
            tailLog ? [new("X-Amz-Log-Type", "Tail")] : null);

    /// <summary>One synchronous invoke; with <paramref name="tailLog"/>, also the last 4 KB of its log.</summary>
    public async Task<(byte[] Body, string? Log)> InvokeAsync(string name, byte[] payload, bool tailLog, CancellationToken cancellationToken)
    {
        using var message = SignInvoke(name, payload, DateTimeOffset.UtcNow, tailLog).ToMessage();
        using var response = await _http.SendAsync(message, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK || response.Headers.Contains("X-Amz-Function-Error"))
        {
            throw new InvalidOperationException($"Invoke {name} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        }

        var log = response.Headers.TryGetValues("X-Amz-Log-Result", out var values)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(values.First()))
            : null;
        return (body, log);
    }

    /// <summary>The <c>Init Duration</c> of a REPORT line in a tail log, in milliseconds.</summary>
    public static double? InitDuration(string? log) =>
        log is not null && InitDurationPattern().Match(log) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private async Task SendAsync(HttpMethod method, string path, JsonObject body, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var request = SignedRequest.Sign(method, new Uri(lamina.Endpoint, path), lamina.Credentials, "lambda", DateTimeOffset.UtcNow,
            Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json");
        await FunctionSeeder.SendExpectingAsync(_http, request, expected, cancellationToken);
    }

    [GeneratedRegex("<Arn>([^<]+)</Arn>")]
    private static partial Regex RoleArn();

    [GeneratedRegex(@"Init Duration: ([0-9.]+) ms")]
    private static partial Regex InitDurationPattern();

    public void Dispose() => _http.Dispose();
}
