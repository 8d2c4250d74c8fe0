namespace Lamina.Core.Errors;

/// <summary>
/// The IAM and STS error codes (botocore iam 2010-05-08 and sts 2011-06-15 models: code and HTTP
/// status) with messages worded as IAM words them. Every IAM/STS error the server returns is made here.
/// </summary>
internal static class IamErrors
{
    public static AwsError NoSuchEntity(string message) => new(404, "NoSuchEntity", message);

    public static AwsError UserNotFound(string userName) => NoSuchEntity($"The user with name {userName} cannot be found.");

    public static AwsError RoleNotFound(string roleName) => NoSuchEntity($"The role with name {roleName} cannot be found.");

    public static AwsError PolicyNotFound(string policyArn) => NoSuchEntity($"Policy {policyArn} was not found.");

    public static AwsError PolicyNotAttachable(string policyArn) => NoSuchEntity($"Policy {policyArn} does not exist or is not attachable.");

    public static AwsError PolicyVersionNotFound(string policyArn, string versionId) =>
        NoSuchEntity($"Policy {policyArn} version {versionId} does not exist or is not attachable.");

    public static AwsError AccessKeyNotFound(string accessKeyId) => NoSuchEntity($"The Access Key with id {accessKeyId} cannot be found.");

    public static AwsError EntityAlreadyExists(string message) => new(409, "EntityAlreadyExists", message);

    public static AwsError DeleteConflict(string message) => new(409, "DeleteConflict", message);

    public static AwsError LimitExceeded(string message) => new(409, "LimitExceeded", message);

    /// <summary>IAM's quota message, e.g. "Cannot exceed quota for AccessKeysPerUser: 2".</summary>
    public static AwsError Quota(string quota, int limit) => LimitExceeded($"Cannot exceed quota for {quota}: {limit}");

    public static AwsError MalformedPolicyDocument(string message) => new(400, "MalformedPolicyDocument", message);

    public static AwsError InvalidInput(string message) => new(400, "InvalidInput", message);

    public static AwsError Validation(string message) => new(400, "ValidationError", message);

    /// <summary>AWS: IAM APIs refuse GetSessionToken credentials that carry no MFA context, as an unknown token.</summary>
    public static AwsError InvalidClientTokenId() => new(403, "InvalidClientTokenId", "The security token included in the request is invalid");

    /// <summary>Rendered as <c>AccessDenied</c> by the query protocol (AwsErrorWriter).</summary>
    public static AwsError AccessDenied(string message) => new(403, "AccessDeniedException", message);

    public static AwsError PackedPolicyTooLarge(int percent) =>
        new(400, "PackedPolicyTooLarge", $"Packed policy consumes {percent}% of allotted space, please use smaller policy.");
}
