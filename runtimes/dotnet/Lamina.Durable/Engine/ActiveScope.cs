namespace Lamina.Durable;

/// <summary>
/// Which context's code is running on this async flow: the root handler, a child context's function, or a step's
/// function. Used to catch a parent context used inside a child (and durable calls inside a step) and by the
/// replay-aware logger.
/// </summary>
internal sealed record ActiveScope(string ContextId, DurableContext? Context, bool IsStep)
{
    private static readonly AsyncLocal<ActiveScope?> CurrentScope = new();

    public static ActiveScope? Current => CurrentScope.Value;

    public static async Task<T> RunAsync<T>(ActiveScope scope, Func<Task<T>> fn)
    {
        CurrentScope.Value = scope;
        return await fn();
    }

    public static async Task RunAsync(ActiveScope scope, Func<Task> fn)
    {
        CurrentScope.Value = scope;
        await fn();
    }
}
