using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Lamina.Sandboxes;

/// <summary>
/// One thread that lives as long as the process and forks every sandbox.
/// </summary>
/// <remarks>
/// bubblewrap's <c>--die-with-parent</c> is <c>PR_SET_PDEATHSIG</c>, which fires when the parent <em>thread</em>
/// exits, not the parent process. Forked from a thread-pool worker, a sandbox was SIGKILLed whenever the pool
/// retired that worker (after about 20 s without work), and its next invoke answered <c>Runtime.ExitError</c>
/// "signal: killed": 16 of about 30,000 warm invokes in one data-plane benchmark run, several environments at
/// once. This thread never exits, so the signal comes only when the server itself dies, as intended.
/// </remarks>
internal static class SpawnerThread
{
    private static readonly BlockingCollection<Action> Work = [];

    private static readonly Thread Thread = StartThread();

    /// <summary>Runs <paramref name="spawn"/> on the spawner thread and returns its result (or throws its exception).</summary>
    public static T Run<T>(Func<T> spawn)
    {
        if (Environment.CurrentManagedThreadId == Thread.ManagedThreadId)
        {
            return spawn();
        }

        T? result = default;
        ExceptionDispatchInfo? error = null;
        using var done = new ManualResetEventSlim();
        Work.Add(() =>
        {
            try
            {
                result = spawn();
            }
            catch (Exception ex)
            {
                error = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        error?.Throw();
        return result!;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(() =>
        {
            foreach (var action in Work.GetConsumingEnumerable())
            {
                action();
            }
        })
        {
            IsBackground = true,
            Name = "Lamina sandbox spawner",
        };
        thread.Start();
        return thread;
    }
}
