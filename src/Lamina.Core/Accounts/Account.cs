namespace Lamina.Core.Accounts;

/// <summary>An isolated tenant: its own functions, layers, executions, logs and audit records.</summary>
internal sealed record Account(string Id, string Name, DateTimeOffset CreatedAt)
{
    /// <summary>The account a fresh install creates, as AWS tooling and LocalStack conventionally use.</summary>
    public const string DefaultId = "000000000000";

    public const string DefaultName = "default";

    public string RootArn => $"arn:aws:iam::{Id}:root";
}
