namespace Lamina.Durable;

/// <summary>Shorter forms of the <see cref="IDurableContext"/> operations.</summary>
public static class DurableContextExtensions
{
    /// <summary>An unnamed step.</summary>
    public static Task<T> StepAsync<T>(this IDurableContext context, Func<IStepContext, Task<T>> fn, StepConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.StepAsync(null, fn, config);
    }

    /// <summary>A named step whose function needs no step context.</summary>
    public static Task<T> StepAsync<T>(this IDurableContext context, string? name, Func<Task<T>> fn, StepConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fn);
        return context.StepAsync(name, _ => fn(), config);
    }

    /// <summary>A named step without a result whose function needs no step context.</summary>
    public static Task StepAsync(this IDurableContext context, string? name, Func<Task> fn, StepConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fn);
        return context.StepAsync(name, _ => fn(), config);
    }

    /// <summary>A named step around synchronous code (a clock read, a GUID, a random number).</summary>
    public static Task<T> StepAsync<T>(this IDurableContext context, string? name, Func<T> fn, StepConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fn);
        return context.StepAsync(name, _ => Task.FromResult(fn()), config);
    }

    /// <summary>An unnamed wait.</summary>
    public static Task WaitAsync(this IDurableContext context, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.WaitAsync(null, duration);
    }

    /// <summary>Parallel over unnamed branches.</summary>
    public static Task<BatchResult<T>> ParallelAsync<T>(this IDurableContext context, string? name,
        IReadOnlyList<Func<IDurableContext, Task<T>>> branches, ParallelConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(branches);
        return context.ParallelAsync(name, [.. branches.Select(b => new ParallelBranch<T>(null, b))], config);
    }

    /// <summary>Map without the index.</summary>
    public static Task<BatchResult<TResult>> MapAsync<TItem, TResult>(this IDurableContext context, string? name, IReadOnlyList<TItem> items,
        Func<IDurableContext, TItem, Task<TResult>> fn, MapConfig<TItem>? config = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fn);
        return context.MapAsync<TItem, TResult>(name, items, (c, item, _) => fn(c, item), config);
    }
}
