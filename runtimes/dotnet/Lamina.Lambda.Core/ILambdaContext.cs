#nullable disable
// Nullability is oblivious on purpose, as in AWS's Amazon.Lambda.Core: ClientContext and Identity may be
// null, and annotating them would turn existing handler code into CS8602 warnings.

namespace Amazon.Lambda.Core;

/// <summary>Information about the invocation, the function and the execution environment.</summary>
public interface ILambdaContext
{
    /// <summary>The request id of the invocation (the same id the caller sees).</summary>
    string AwsRequestId { get; }

    /// <summary>The client context sent by the caller (AWS Mobile SDK style), or null.</summary>
    IClientContext ClientContext { get; }

    /// <summary>The function's name.</summary>
    string FunctionName { get; }

    /// <summary>The version being executed (<c>$LATEST</c> or a number; an alias resolves to its version).</summary>
    string FunctionVersion { get; }

    /// <summary>The Amazon Cognito identity of the caller, or null.</summary>
    ICognitoIdentity Identity { get; }

    /// <summary>The ARN used to invoke the function, possibly qualified with a version or alias.</summary>
    string InvokedFunctionArn { get; }

    /// <summary>The logger for this invocation.</summary>
    ILambdaLogger Logger { get; }

    /// <summary>The CloudWatch log group of the function.</summary>
    string LogGroupName { get; }

    /// <summary>The CloudWatch log stream of this execution environment.</summary>
    string LogStreamName { get; }

    /// <summary>The memory configured for the function, in MB.</summary>
    int MemoryLimitInMB { get; }

    /// <summary>Time left before the invocation times out.</summary>
    TimeSpan RemainingTime { get; }

    /// <summary>The tenant id of a tenant-isolated invocation, or null.</summary>
    string TenantId => null;

    /// <summary>The X-Ray trace header of the invocation (<c>Root=…;Parent=…;Sampled=…</c>), or null.</summary>
    string TraceId => null;
}
