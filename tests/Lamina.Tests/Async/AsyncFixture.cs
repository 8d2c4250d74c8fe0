using Lamina.Core.Async;
using Lamina.Hosting;
using Lamina.Tests.Support;

namespace Lamina.Tests.Async;

/// <summary>A server whose async delays run 60 times faster: AWS's 1- and 2-minute retry waits take 1 and 2 seconds.</summary>
public sealed class AsyncFixture : LaminaFixture
{
    public const double TimeScale = 60;

    private protected override ServeOptions Configure(ServeOptions options) =>
        options with { Async = new AsyncOptions { TimeScale = TimeScale } };
}
