namespace Lamina.Lambda.Shared;

/// <summary>One event from <c>GET /runtime/invocation/next</c>: its headers and body.</summary>
internal sealed record Invocation(
    string RequestId,
    long DeadlineMs,
    string? InvokedFunctionArn,
    string? TraceId,
    string? ClientContextJson,
    string? CognitoIdentityJson,
    string? TenantId,
    byte[] Body)
{
    public TimeSpan RemainingTime =>
        TimeSpan.FromMilliseconds(Math.Max(0, DeadlineMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
}
