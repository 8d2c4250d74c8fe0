namespace Lamina.Durable;

/// <summary>AWS credentials for signing; a session token comes with temporary (execution-role) credentials.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null);

/// <summary>Where and how <see cref="LambdaDurableExecutionClient"/> calls the Lambda API.</summary>
public sealed record LambdaClientOptions
{
    /// <summary>The Lambda API's base URL, for example <c>http://127.0.0.1:9600</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The signing region.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Requests go unsigned when null (Lamina's verification is optional).</summary>
    public AwsCredentials? Credentials { get; init; }

    /// <summary>Tries per call for 5xx, 429 and network errors, the first included; the ClientToken stays the same.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>For tests: the handler requests go through. A SocketsHttpHandler with a 5 s connect timeout when null.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>The signing clock. <see cref="TimeProvider.System"/> when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>
    /// Reads the standard variables: AWS_ENDPOINT_URL_LAMBDA, else AWS_ENDPOINT_URL, else the public endpoint of
    /// AWS_REGION (or AWS_DEFAULT_REGION); AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
    /// </summary>
    public static LambdaClientOptions FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        var region = NonEmpty(variable("AWS_REGION")) ?? NonEmpty(variable("AWS_DEFAULT_REGION")) ?? "us-east-1";
        var endpoint = NonEmpty(variable("AWS_ENDPOINT_URL_LAMBDA")) ?? NonEmpty(variable("AWS_ENDPOINT_URL")) ?? $"https://lambda.{region}.amazonaws.com";
        var keyId = NonEmpty(variable("AWS_ACCESS_KEY_ID"));
        var secret = NonEmpty(variable("AWS_SECRET_ACCESS_KEY"));
        return new LambdaClientOptions
        {
            Endpoint = new Uri(endpoint),
            Region = region,
            Credentials = keyId is null || secret is null ? null : new AwsCredentials(keyId, secret, NonEmpty(variable("AWS_SESSION_TOKEN"))),
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
