namespace Lamina.Durable;

/// <summary>
/// A failure recorded by a durable operation. It is what user code catches, both when the failure happens and when
/// it is replayed from history, so it carries only what the wire keeps: a type, a message and optional data.
/// </summary>
public class DurableOperationException : Exception
{
    public DurableOperationException()
    {
    }

    public DurableOperationException(string message) : base(message)
    {
    }

    public DurableOperationException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    public DurableOperationException(string message, string? recordedErrorType, string? errorData, Exception? innerException = null)
        : base(message, innerException)
    {
        RecordedErrorType = recordedErrorType;
        ErrorData = errorData;
    }

    /// <summary>The <c>ErrorType</c> this exception is written as (the official SDK's error names, for example <c>StepError</c>).</summary>
    public virtual string ErrorType => "DurableOperationError";

    /// <summary>The <c>ErrorType</c> found in history: the original exception's type name, such as <c>InvalidOperationException</c>.</summary>
    public string? RecordedErrorType { get; }

    /// <summary>Free-form data stored with the error.</summary>
    public string? ErrorData { get; }

    /// <summary>The error object to checkpoint: no stack trace, as the official SDK.</summary>
    public ErrorObject ToErrorObject() => new() { ErrorType = ErrorType, ErrorMessage = Message, ErrorData = ErrorData };

    /// <summary>Rebuilds the exception for a recorded error, choosing the class from its <c>ErrorType</c>.</summary>
    public static DurableOperationException FromErrorObject(ErrorObject? error)
    {
        var type = error?.ErrorType;
        var data = error?.ErrorData;
        string Msg(string fallback) => string.IsNullOrEmpty(error?.ErrorMessage) ? fallback : error.ErrorMessage;
        return type switch
        {
            "CallbackError" => new CallbackException(Msg("Callback failed"), type, data),
            "CallbackExternalError" => new CallbackFailedException(Msg("Callback failed"), type, data),
            "CallbackTimeoutError" => new CallbackTimeoutException(Msg("Callback timed out"), type, data),
            "CallbackSubmitterError" => new CallbackSubmitterException(Msg("Callback submitter failed"), type, data),
            "InvokeError" => new InvokeException(Msg("Invoke failed"), type, data),
            "ChildContextError" => new ChildContextException(Msg("Child context failed"), type, data),
            "WaitForConditionError" => new WaitForConditionException(Msg("Wait for condition failed"), type, data),
            "BatchCompletionError" => new BatchCompletionException(Msg("Batch completed as failed"), type, data),
            "StepError" => new StepException(Msg("Step failed"), type, data),
            _ => new StepException(Msg("Unknown error"), type ?? "Error", data),
        };
    }

    /// <summary>The error object for any exception: durable ones keep their wire type, others use the CLR type name.</summary>
    public static ErrorObject ErrorObjectFor(Exception exception) => exception switch
    {
        DurableOperationException durable => durable.ToErrorObject(),
        IWireError wire => new ErrorObject { ErrorType = wire.ErrorType, ErrorMessage = exception.Message },
        _ => new ErrorObject { ErrorType = exception.GetType().Name, ErrorMessage = exception.Message },
    };
}
