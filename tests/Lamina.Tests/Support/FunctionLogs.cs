using Lamina.Core.Storage;

namespace Lamina.Tests.Support;

/// <summary>Reads a function's log group from a fixture's store (Lamina has no CloudWatch Logs API yet).</summary>
public static class FunctionLogs
{
    /// <summary>The messages in <c>/aws/lambda/FUNCTION</c>, oldest first.</summary>
    public static async Task<List<string>> ReadAsync(LaminaFixture fixture, string function, string accountId = "000000000000")
    {
        var store = (IStore)fixture.Server.Services.GetService(typeof(IStore))!;
        return (await store.Logs.ReadAsync(accountId, $"/aws/lambda/{function}", null, 0, 10_000, CancellationToken.None))
            .Select(e => e.Event.Message).ToList();
    }

    /// <summary>The messages, re-read every 100 ms until <paramref name="until"/> holds (at most <paramref name="seconds"/>).</summary>
    public static async Task<List<string>> LinesAsync(LaminaFixture fixture, string function, Func<List<string>, bool> until, int seconds = 10,
        string accountId = "000000000000")
    {
        var lines = new List<string>();
        for (var i = 0; i < seconds * 10 && !until(lines); i++)
        {
            await Task.Delay(100);
            lines = await ReadAsync(fixture, function, accountId);
        }

        return lines;
    }

    /// <summary>Asserts an invoke had no function error; if it had, the failure shows the function's last log lines.</summary>
    public static async Task AssertNoFunctionErrorAsync(LaminaFixture fixture, string function, CliInvoke result)
    {
        if (result.FunctionError is not null)
        {
            var lines = await ReadAsync(fixture, function);
            Assert.Fail($"{function}: {result}\nlast log lines:\n{string.Join('\n', lines.TakeLast(30))}");
        }
    }
}
