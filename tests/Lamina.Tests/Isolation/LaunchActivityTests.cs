using Lamina.Sandboxes;
using Microsoft.Extensions.Time.Testing;

namespace Lamina.Tests.Isolation;

/// <summary>
/// Housekeeping (pool refills, deleting a finished environment's /tmp) waits while environments start, and never
/// longer than <see cref="LaunchActivity.LongestDeferral"/>.
/// </summary>
public sealed class LaunchActivityTests
{
    [Fact]
    public void WhenQuiet_NothingStarting_CompletesAtOnce()
    {
        var launches = new LaunchActivity(new FakeTimeProvider());
        Assert.True(launches.WhenQuietAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WhenQuiet_WaitsUntilTheLastStartEnds()
    {
        var launches = new LaunchActivity(new FakeTimeProvider());
        var first = launches.Begin();
        var second = launches.Begin();
        var quiet = launches.WhenQuietAsync();
        first.Dispose();
        first.Dispose(); // a second dispose of the same scope must not end another start
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(quiet.IsCompleted, "housekeeping ran while an environment was still starting");
        Assert.Equal(1, launches.Starting);

        second.Dispose();
        await quiet.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(0, launches.Starting);
        Assert.True(launches.WhenQuietAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WhenQuiet_StartsThatNeverEnd_RunsAfterTheLongestDeferral()
    {
        var time = new FakeTimeProvider();
        var launches = new LaunchActivity(time);
        using var starting = launches.Begin();
        var quiet = launches.WhenQuietAsync();
        time.Advance(LaunchActivity.LongestDeferral - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(quiet.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await quiet.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(1, launches.Starting);
    }
}
