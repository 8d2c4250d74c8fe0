namespace Lamina.Core.Errors;

/// <summary>
/// The Lambda API's error types and messages, as AWS words them (recorded responses; see
/// docs/adr/0002-aws-error-wording.md). Every Lambda error the server returns is made here.
/// </summary>
internal static class LambdaErrors
{
    public static AwsError FunctionNotFound(string arn) => new(404, "ResourceNotFoundException", $"Function not found: {arn}");

    public static AwsError AliasNotFound(string aliasArn) => new(404, "ResourceNotFoundException", $"Cannot find alias arn: {aliasArn}");

    public static AwsError ResourceNotFound(string message = "The resource you requested does not exist.") => new(404, "ResourceNotFoundException", message);

    public static AwsError LayerVersionNotFound() => new(404, "ResourceNotFoundException", "The resource you requested does not exist.");

    public static AwsError FunctionExists(string name) => new(409, "ResourceConflictException", $"Function already exist: {name}");

    public static AwsError AliasExists(string aliasArn) => new(409, "ResourceConflictException", $"Alias already exists: {aliasArn}");

    public static AwsError Conflict(string message) => new(409, "ResourceConflictException", message);

    public static AwsError UpdateInProgress(string arn) =>
        Conflict($"The operation cannot be performed at this time. An update is in progress for resource: {arn}");

    public static AwsError InvalidParameter(string message) => new(400, "InvalidParameterValueException", message);

    public static AwsError Validation(string message) => new(400, "ValidationException", message);

    public static AwsError InvalidRequestContent(string message) => new(400, "InvalidRequestContentException", message);

    public static AwsError RevisionMismatch() => new(412, "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id");

    public static AwsError RequestTooLarge(string message) => new(413, "RequestEntityTooLargeException", message);

    public static AwsError QualifierMismatch() =>
        InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.");

    public static AwsError WrongRegion(string arnRegion, string region) =>
        new(404, "ResourceNotFoundException", $"Functions from '{arnRegion}' are not reachable in this region ('{region}')");

    public static AwsError AccessDenied(string message) => new(403, "AccessDeniedException", message);

    public static AwsError ProvisionedConfigNotFound() =>
        new(404, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function");

    public static AwsError TooManyRequests(string reason, string message = "Rate Exceeded.") =>
        new(429, "TooManyRequestsException", message) { Extra = [new("Reason", reason)] };

    public static AwsError Service(string message) => new(500, "ServiceException", message);

    public static AwsError UnknownOperation(string method, string path) =>
        new(404, "UnknownOperationException", $"No Lambda operation matches {method} {path}.");
}
