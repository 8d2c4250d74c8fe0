namespace Lamina.Core.Errors;

/// <summary>
/// An expected failure of an AWS API call, as data. The front door renders it in the protocol of the
/// service that was called (REST-JSON, JSON 1.1 or query XML); nothing else writes AWS errors.
/// </summary>
/// <param name="StatusCode">HTTP status, e.g. 404.</param>
/// <param name="Code">The error type from the service model, e.g. <c>ResourceNotFoundException</c>.</param>
/// <param name="Message">What went wrong and what to fix, as AWS words it.</param>
internal sealed record AwsError(int StatusCode, string Code, string Message)
{
    /// <summary><c>User</c> for caller errors, <c>Service</c> for ours (REST-JSON body field <c>Type</c>).</summary>
    public string Type => StatusCode >= 500 ? "Service" : "User";

    /// <summary>Extra members some errors carry, e.g. <c>Reason</c> on <c>TooManyRequestsException</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extra { get; init; } = [];

    /// <summary>Seconds a throttled caller should wait (<c>Retry-After</c>), when known.</summary>
    public int? RetryAfterSeconds { get; init; }

    public override string ToString() => $"{StatusCode} {Code}: {Message}";
}
