using Lamina.Core.Storage;
using Lamina.Storage.Sqlite;
using Lamina.Tests.Support;

namespace Lamina.Tests.Storage;

public sealed class SqliteStoreTests : StoreCompliance
{
    private readonly string _dir = TempDirs.Create("sqlite-store");

    private protected override async Task<IStore> CreateEmptyStoreAsync() =>
        await SqliteStore.OpenAsync(Path.Combine(_dir, "test.db"), TimeProvider.System, CancellationToken.None);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task Reopen_KeepsDataAndDoesNotReapplyMigrations()
    {
        var path = Path.Combine(_dir, "reopen.db");
        await using (var first = await SqliteStore.OpenAsync(path, TimeProvider.System, CancellationToken.None))
        {
            await first.SetMetaAsync("k", "v", CancellationToken.None);
        }

        await using var second = await SqliteStore.OpenAsync(path, TimeProvider.System, CancellationToken.None);
        Assert.Equal("v", await second.GetMetaAsync("k", CancellationToken.None));
    }
}
