using System.Diagnostics;
using Lamina.Sandboxes;

namespace Lamina.Tests.Isolation;

/// <summary>
/// bubblewrap's <c>--die-with-parent</c> kills the sandbox when the thread that forked it exits. A sandbox forked
/// through <see cref="SpawnerThread"/> outlives the thread that asked for it; one forked by that thread itself does not
/// (the control: it shows the test would catch the bug the spawner fixes).
/// </summary>
public sealed class SpawnerThreadTests
{
    [Fact]
    public void Run_FromAThreadThatExits_SandboxSurvives()
    {
        using var process = StartFromShortLivedThread(viaSpawner: true);
        try
        {
            // The parent-death signal is sent while the thread exits, before Join returns; give it time to land.
            Assert.False(process.WaitForExit(TimeSpan.FromSeconds(1)), "the sandbox died with the thread that asked for it");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Control_ForkedByTheExitingThread_SandboxKilled()
    {
        using var process = StartFromShortLivedThread(viaSpawner: false);
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "bwrap --die-with-parent should follow the forking thread");
        Assert.Equal(137, process.ExitCode);
    }

    [Fact]
    public void Run_FromManyThreads_AlwaysTheSameLongLivedThread()
    {
        var ids = Enumerable.Range(0, 4).AsParallel().Select(_ => SpawnerThread.Run(() => Environment.CurrentManagedThreadId)).Distinct().ToList();
        Assert.Single(ids);
        Assert.Equal(ids[0], SpawnerThread.Run(() => SpawnerThread.Run(() => Environment.CurrentManagedThreadId)));
    }

    private static Process StartFromShortLivedThread(bool viaSpawner)
    {
        Process? process = null;
        var thread = new Thread(() =>
        {
            var info = new ProcessStartInfo(SandboxLauncher.Bubblewrap) { UseShellExecute = false };
            foreach (var arg in (string[])["--ro-bind", "/", "/", "--die-with-parent", "/bin/sleep", "60"])
            {
                info.ArgumentList.Add(arg);
            }

            process = viaSpawner ? SpawnerThread.Run(() => Process.Start(info)) : Process.Start(info);
            // bwrap sets PR_SET_PDEATHSIG on itself around forking the sandboxed command, and nothing outside shows
            // when: wait for that child, then a second more, before this thread exits.
            var children = $"/proc/{process!.Id}/task/{process.Id}/children";
            for (var i = 0; i < 3000 && !process.HasExited && (!File.Exists(children) || File.ReadAllText(children).Trim().Length == 0); i++)
            {
                Thread.Sleep(10);
            }

            Thread.Sleep(1000);
        });
        thread.Start();
        thread.Join();
        return process ?? throw new InvalidOperationException("bwrap did not start");
    }
}
