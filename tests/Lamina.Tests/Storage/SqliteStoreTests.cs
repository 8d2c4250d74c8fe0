using Lamina.Core.Durable;
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

    [Fact]
    public async Task DurableCommits_RacingTogether_EachLandsOrIsRefusedOnItsOwn()
    {
        // Concurrent commits share one transaction (group commit); each must still be all-or-nothing and
        // answered on its own: 24 new executions, and 8 updates of one execution from the same read.
        await using var store = await SqliteStore.OpenAsync(Path.Combine(_dir, "group.db"), TimeProvider.System, CancellationToken.None);
        var contested = Execution("contested");
        Assert.Equal(WriteStatus.Ok, await store.Durable.CommitAsync(new DurableCommit { Execution = contested, Events = [Event(1)] }, CancellationToken.None));

        var inserts = Enumerable.Range(0, 24).Select(i => Task.Run(() =>
            store.Durable.CommitAsync(new DurableCommit { Execution = Execution($"new-{i}"), Events = [Event(1)] }, CancellationToken.None)));
        var updates = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            store.Durable.CommitAsync(new DurableCommit
            {
                Execution = contested with { RowVersion = 2, NextEventId = 3, Token = $"writer-{i}" },
                ExpectedRowVersion = 1,
                Events = [Event(2)],
            }, CancellationToken.None)));
        var inserted = await Task.WhenAll(inserts);
        var updated = await Task.WhenAll(updates);

        Assert.All(inserted, status => Assert.Equal(WriteStatus.Ok, status));
        Assert.Equal(1, updated.Count(status => status == WriteStatus.Ok));
        Assert.Equal(7, updated.Count(status => status == WriteStatus.RevisionMismatch));
        for (var i = 0; i < 24; i++)
        {
            Assert.NotNull(await store.Durable.GetExecutionAsync(Execution($"new-{i}").Arn, CancellationToken.None));
        }

        var winner = await store.Durable.GetExecutionAsync(contested.Arn, CancellationToken.None);
        Assert.Equal(2, winner!.RowVersion);
        Assert.Equal($"writer-{Array.IndexOf(updated, WriteStatus.Ok)}", winner.Token);
        // The refused writers' history events were rolled back with them: event 2 exists once.
        var history = await store.Durable.ListHistoryAsync(contested.Arn, null, 10, false, CancellationToken.None);
        Assert.Equal([1L, 2L], history.Select(h => h.EventId));

        // A duplicate name is refused on its own, beside a commit that lands.
        var duplicate = store.Durable.CommitAsync(new DurableCommit { Execution = Execution("new-0") with { Arn = "arn:other" } }, CancellationToken.None);
        var fresh = store.Durable.CommitAsync(new DurableCommit { Execution = Execution("fresh") }, CancellationToken.None);
        Assert.Equal(WriteStatus.AlreadyExists, await duplicate);
        Assert.Equal(WriteStatus.Ok, await fresh);
    }

    [Fact]
    public async Task DurableCommits_AfterAFailedChange_TheWriterKeepsCommittingOnItsPreparedStatements()
    {
        // A change the database rejects (an ARN already taken under another name: a primary-key violation, not a
        // refusal) fails alone, in a batch or by itself; the statements the writer keeps prepared serve every change after it.
        await using var store = await SqliteStore.OpenAsync(Path.Combine(_dir, "failed.db"), TimeProvider.System, CancellationToken.None);
        var first = Execution("first");
        Assert.Equal(WriteStatus.Ok, await store.Durable.CommitAsync(new DurableCommit { Execution = first, Events = [Event(1)] }, CancellationToken.None));

        for (var round = 0; round < 3; round++)
        {
            var clash = Task.Run(() => store.Durable.CommitAsync(
                new DurableCommit { Execution = Execution($"clash-{round}") with { Arn = first.Arn } }, CancellationToken.None));
            var others = Enumerable.Range(0, 4).Select(i => Task.Run(() => store.Durable.CommitAsync(new DurableCommit
            {
                Execution = Execution($"ok-{round}-{i}"),
                Operations = [Operation("step-1", changeSeq: 1)],
                Events = [Event(1), Event(2)],
                Checkpoint = new CachedCheckpoint("client-1", DateTimeOffset.UtcNow, [9]),
            }, CancellationToken.None))).ToList();
            await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => clash);
            Assert.All(await Task.WhenAll(others), status => Assert.Equal(WriteStatus.Ok, status));
        }

        // The execution the failed changes collided with is untouched and still takes updates.
        var updated = first with { RowVersion = 2, NextEventId = 3, Token = "next" };
        Assert.Equal(WriteStatus.Ok, await store.Durable.CommitAsync(new DurableCommit
        {
            Execution = updated,
            ExpectedRowVersion = 1,
            Operations = [Operation("step-1", changeSeq: 1), Operation("step-2", changeSeq: 2)],
            Events = [Event(2)],
        }, CancellationToken.None));
        Assert.Equal(WriteStatus.RevisionMismatch, await store.Durable.CommitAsync(
            new DurableCommit { Execution = updated, ExpectedRowVersion = 1, Events = [Event(3)] }, CancellationToken.None));
        var stored = await store.Durable.GetExecutionAsync(first.Arn, CancellationToken.None);
        Assert.Equal(("first", 2L, "next"), (stored!.Name, stored.RowVersion, stored.Token));
        Assert.Equal(["step-1", "step-2"], (await store.Durable.ListOperationsAsync(first.Arn, CancellationToken.None)).Select(o => o.Id));
        Assert.Equal([1L, 2L], (await store.Durable.ListHistoryAsync(first.Arn, null, 10, false, CancellationToken.None)).Select(h => h.EventId));
        for (var round = 0; round < 3; round++)
        {
            var arn = Execution($"ok-{round}-0").Arn;
            Assert.NotNull(await store.Durable.GetCheckpointAsync(arn, "client-1", CancellationToken.None));
            Assert.Null(await store.Durable.GetExecutionAsync(Execution($"clash-{round}").Arn, CancellationToken.None));
        }
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static DurableExecutionRecord Execution(string name) => new()
    {
        Arn = $"arn:aws:lambda:us-east-1:000000000000:function:f:1/durable-execution/{name}/id-{name}",
        AccountId = "000000000000",
        FunctionName = "f",
        Version = "1",
        Name = name,
        Status = ExecutionStatus.Running,
        StartedAt = Now,
        SealedInput = [1, 2, 3],
        InputHash = "h",
        ExecutionTimeoutSeconds = 60,
        RetentionDays = 1,
        RowVersion = 1,
    };

    private static DurableHistoryRecord Event(long id) => new(id, Now, [(byte)id]);

    private static DurableOperationRecord Operation(string id, long changeSeq) => new()
    {
        Id = id,
        Type = "STEP",
        Status = "SUCCEEDED",
        StartedAt = Now,
        Seq = changeSeq,
        ChangeSeq = changeSeq,
        SealedDetails = [1],
    };
}
