namespace Lamina.Durable;

/// <summary>A created callback: its id for the sender, and its result.</summary>
public sealed class DurableCallback<T>
{
    private readonly Func<Task<T>> _result;

    internal DurableCallback(string callbackId, Func<Task<T>> result)
    {
        CallbackId = callbackId;
        _result = result;
    }

    /// <summary>What the sender passes to SendDurableExecutionCallbackSuccess/Failure/Heartbeat.</summary>
    public string CallbackId { get; }

    /// <summary>
    /// Waits for the answer. Until this is called the invocation keeps running (hand the id out first); once the
    /// function has nothing else to do it suspends and is invoked again when the answer arrives.
    /// </summary>
    /// <exception cref="CallbackFailedException">The sender reported a failure.</exception>
    /// <exception cref="CallbackTimeoutException">The timeout or heartbeat timeout lapsed.</exception>
    public Task<T> GetResultAsync() => _result();
}
