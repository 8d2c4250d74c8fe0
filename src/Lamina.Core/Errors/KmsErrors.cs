namespace Lamina.Core.Errors;

/// <summary>
/// The KMS error codes (botocore kms 2014-11-01: every error is a 400 but KMSInternalException) with
/// messages as KMS words them, and the errors Lambda reports when it cannot use a function's key.
/// Every KMS error the server returns is made here.
/// </summary>
internal static class KmsErrors
{
    public static AwsError KeyNotFound(string keyArn) => new(400, "NotFoundException", $"Key '{keyArn}' does not exist");

    public static AwsError AliasNotFound(string aliasArn) => new(400, "NotFoundException", $"Alias '{aliasArn}' is not found.");

    public static AwsError InvalidKeyId(string keyId) => new(400, "NotFoundException", $"Invalid keyId '{keyId}'");

    public static AwsError InvalidArn(string message) => new(400, "InvalidArnException", message);

    public static AwsError Disabled(string keyArn) => new(400, "DisabledException", $"{keyArn} is disabled.");

    public static AwsError PendingDeletion(string keyArn) => new(400, "KMSInvalidStateException", $"{keyArn} is pending deletion.");

    public static AwsError InvalidState(string message) => new(400, "KMSInvalidStateException", message);

    /// <summary>KMS answers a blob it cannot open without a message.</summary>
    public static AwsError InvalidCiphertext() => new(400, "InvalidCiphertextException", "");

    public static AwsError IncorrectKey() =>
        new(400, "IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.");

    /// <summary>What Decrypt says when the key a blob names does not exist, which KMS does not tell apart from being refused.</summary>
    public static AwsError CiphertextKeyUnavailable() => new(400, "AccessDeniedException",
        "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.");

    public static AwsError AlreadyExists(string aliasArn) => new(400, "AlreadyExistsException", $"An alias with the name {aliasArn} already exists");

    public static AwsError InvalidAliasName(string message) => new(400, "InvalidAliasNameException", message);

    public static AwsError MalformedPolicy(string message) => new(400, "MalformedPolicyDocumentException", message);

    public static AwsError LockoutRisk() => MalformedPolicy("The new key policy will not allow you to update the key policy in the future.");

    public static AwsError Unsupported(string message) => new(400, "UnsupportedOperationException", message);

    public static AwsError Tag(string message) => new(400, "TagException", message);

    public static AwsError LimitExceeded(string message) => new(400, "LimitExceededException", message);

    public static AwsError InvalidMarker() => new(400, "InvalidMarkerException", "Invalid marker: pass the NextMarker of the previous page unchanged.");

    public static AwsError Validation(string message) => new(400, "ValidationException", message);

    public static AwsError DryRun() => new(400, "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");

    /// <summary>KMS reports refusals with status 400 (the IAM engine's 403 is the Lambda and query services').</summary>
    public static AwsError AccessDenied(AwsError denial) => denial with { StatusCode = 400, Code = "AccessDeniedException" };

    /// <summary>
    /// Invoke (a cold start) could not open the function's environment: Lambda's 502 errors, worded as Lambda
    /// words them, with the KMS error appended as "KMS Exception: CODEKMS Message: TEXT" (sic, no space).
    /// </summary>
    public static AwsError ForLambdaDecrypt(AwsError kms)
    {
        var (code, why) = LambdaReason(kms);
        return new AwsError(502, code, LambdaDecryptMessage(why, kms));
    }

    /// <summary>The <c>Environment.Error</c> a reader gets when Lambda cannot show it the variables.</summary>
    public static Api.Lambda.EnvironmentError ForEnvironmentError(AwsError kms) =>
        new() { ErrorCode = kms.Code, Message = LambdaDecryptMessage(LambdaReason(kms).Why, kms) };

    private static (string Code, string Why) LambdaReason(AwsError kms) => kms.Code switch
    {
        "DisabledException" => ("KMSDisabledException", "because the KMS key used is disabled"),
        "KMSInvalidStateException" => ("KMSInvalidStateException", "because the KMS key used is in an invalid state for Decrypt"),
        "NotFoundException" => ("KMSNotFoundException", "because the KMS key was not found"),
        _ => ("KMSAccessDeniedException", "because KMS access was denied"),
    };

    /// <summary>Create/UpdateFunctionConfiguration could not use the KMSKeyArn (Lambda checks it with CreateGrant).</summary>
    public static AwsError ForLambdaConfigure(AwsError kms) => LambdaErrors.InvalidParameter(
        "Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. " +
        $"Please check your KMS key settings. KMS Exception: {kms.Code} KMS Message: {kms.Message}");

    private static string LambdaDecryptMessage(string why, AwsError kms) =>
        $"Lambda was unable to decrypt the environment variables {why}. Please check the function's KMS key settings. " +
        $"KMS Exception: {kms.Code}KMS Message: {kms.Message}";
}
