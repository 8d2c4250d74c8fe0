using Amazon.Lambda.Core;

namespace HelloDotnet;

/// <summary>An instance handler: the runtime constructs the type once and reuses it for every invocation.</summary>
public sealed class Counter
{
    private static int _constructed;
    private int _calls;

    public Counter()
    {
        Interlocked.Increment(ref _constructed);
        Console.WriteLine("Counter constructed");
    }

    public CounterState Next(ILambdaContext context) => new() { Constructed = _constructed, Calls = ++_calls };
}
