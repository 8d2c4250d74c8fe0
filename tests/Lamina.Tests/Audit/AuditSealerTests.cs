using System.Security.Cryptography;
using Lamina.Core.Audit;
using Lamina.Core.Crypto;
using Lamina.Hosting;
using Lamina.Storage.Sqlite;
using Lamina.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Lamina.Tests.Audit;

/// <summary>
/// The sealer on a fake clock: log files and digests on their periods, digests for quiet periods, repair of
/// files a crash left unwritten, group-committed appends; the verifier over what it wrote.
/// </summary>
public sealed class AuditSealerTests : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("lamina-sealer");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Envelope _envelope = new(MasterKey.FromBytes(RandomNumberGenerator.GetBytes(MasterKey.KeySize)));
    private readonly AuditOptions _options = new() { LogFileInterval = TimeSpan.FromMinutes(5), DigestInterval = TimeSpan.FromHours(1) };
    private SqliteStore _store = null!;
    private AuditSigner _signer = null!;
    private AuditLayout _layout = null!;
    private AuditSealer _sealer = null!;

    public async ValueTask InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(Path.Combine(_dir, "lamina.db"), _time, CancellationToken.None);
        _signer = await AuditSigner.LoadOrCreateAsync(_store.Audit, _envelope, _time, CancellationToken.None);
        _layout = new AuditLayout(Path.Combine(_dir, "audit"), _options.Bucket, "us-east-1");
        _sealer = new AuditSealer(_store, _signer, _layout, _options, _time);
    }

    public async ValueTask DisposeAsync()
    {
        _sealer.Dispose();
        _signer.Dispose();
        await _store.DisposeAsync();
        TempDirs.Delete(_dir);
    }

    private AuditEvent Event(string account, string name) => new()
    {
        AccountId = account,
        EventId = Guid.NewGuid().ToString(),
        EventTime = _time.GetUtcNow(),
        EventName = name,
        EventSource = "lambda.amazonaws.com",
        Username = "root",
        ReadOnly = false,
        Category = AuditCategory.Management,
        Resources = [new AuditResource("AWS::Lambda::Function", "f", "arn:aws:lambda:us-east-1:111111111111:function:f")],
        Record = $$"""{"eventName":"{{name}}","recipientAccountId":"{{account}}"}""",
    };

    private Task<AuditVerifyReport> VerifyAsync() => new AuditVerifier(_store.Audit, _layout, _envelope).VerifyAsync(null, null, null, CancellationToken.None);

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200 && !await condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(await condition(), "condition not reached in 5 s");
    }

    [Fact]
    public async Task Service_OnItsClock_SealsLogFilesThenSignsDigests()
    {
        using var service = new AuditSealerService(_sealer, _options, _time, NullLogger<AuditSealerService>.Instance);
        await service.StartAsync(CancellationToken.None);
        await _store.Audit.AppendAsync([Event("111111111111", "CreateFunction"), Event("222222222222", "CreateFunction")], CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(4));
        await Task.Delay(100);
        Assert.Empty(await _store.Audit.ListLogFilesAsync(null, false, CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(1));
        await EventuallyAsync(async () => (await _store.Audit.ListLogFilesAsync(null, false, CancellationToken.None)).Count(l => l.Written) == 2);
        Assert.Empty(await _store.Audit.ListDigestsAsync(null, false, CancellationToken.None));

        await _store.Audit.AppendAsync([Event("111111111111", "DeleteFunction")], CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(55));
        await EventuallyAsync(async () => (await _store.Audit.ListDigestsAsync(null, false, CancellationToken.None)).Count(d => d.Written) == 2);
        await service.StopAsync(CancellationToken.None);

        var logs = await _store.Audit.ListLogFilesAsync("111111111111", false, CancellationToken.None);
        Assert.Equal(2, logs.Count);
        var digest = (await _store.Audit.ListDigestsAsync("111111111111", false, CancellationToken.None)).Single();
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 13, 0, 0, TimeSpan.Zero), digest.EndTime);
        Assert.Null(digest.Content);
        Assert.EndsWith("111111111111_CloudTrail-Digest_us-east-1_lamina_us-east-1_20260301T130000Z.json.gz", digest.ObjectKey, StringComparison.Ordinal);
        Assert.True(File.Exists(_layout.PathOf(digest) + AuditLayout.SidecarSuffix));
        var report = await VerifyAsync();
        Assert.True(report.Ok, string.Join('\n', report.Lines));
        Assert.Equal(2, report.DigestsValid);
        Assert.Equal(3, report.LogsValid);
    }

    [Fact]
    public async Task Digest_QuietPeriod_StillSignsAnEmptyDigestThatChains()
    {
        await _store.Audit.AppendAsync([Event("111111111111", "CreateFunction")], CancellationToken.None);
        Assert.Equal(1, await _sealer.DigestAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await _sealer.DigestAsync(CancellationToken.None));
        Assert.Equal(1, await _sealer.DigestAsync(CancellationToken.None));

        var digests = await _store.Audit.ListDigestsAsync(null, false, CancellationToken.None);
        Assert.Equal(3, digests.Count);
        Assert.Equal(digests[0].EndTime, digests[1].StartTime);
        Assert.Equal(digests[1].EndTime.AddSeconds(1), digests[2].EndTime);
        var content = AuditFiles.Gunzip(await File.ReadAllBytesAsync(_layout.PathOf(digests[1])));
        var json = System.Text.Json.Nodes.JsonNode.Parse(content)!;
        Assert.Empty(json["logFiles"]!.AsArray());
        Assert.Null(json["newestEventTime"]);
        Assert.Equal(digests[0].Signature, json["previousDigestSignature"]!.GetValue<string>());
        Assert.Equal(digests[0].HashValue, json["previousDigestHashValue"]!.GetValue<string>());
        Assert.Equal("SHA-256", json["previousDigestHashAlgorithm"]!.GetValue<string>());
        Assert.True(AuditSigner.Verify(_signer.Key.PublicKey,
            DigestDocument.StringToSign(json["digestEndTime"]!.GetValue<string>(), _options.Bucket, digests[1].ObjectKey, AuditFiles.Sha256Hex(content),
                digests[0].Signature), digests[1].Signature));
        var report = await VerifyAsync();
        Assert.True(report.Ok, string.Join('\n', report.Lines));
    }

    [Fact]
    public async Task Recover_RowsWhoseFilesACrashLeftUnwritten_WritesThem()
    {
        await _store.Audit.AppendAsync([Event("111111111111", "CreateFunction"), Event("111111111111", "UpdateFunctionCode")], CancellationToken.None);
        var records = new List<string>();
        var log = await _store.Audit.SealLogFileAsync("111111111111", 1000, events =>
        {
            records.AddRange(events.Select(e => e.Record));
            var content = AuditFiles.LogContent(records);
            return new AuditLogFile
            {
                AccountId = "111111111111",
                Bucket = _options.Bucket,
                ObjectKey = _layout.LogKey("111111111111", _time.GetUtcNow(), events[0].Sequence),
                HashValue = AuditFiles.Sha256Hex(content),
                OldestEventTime = events[0].EventTime,
                NewestEventTime = events[^1].EventTime,
                FirstSequence = events[0].Sequence,
                LastSequence = events[^1].Sequence,
                RecordCount = events.Count,
                CreatedAt = _time.GetUtcNow(),
            };
        }, CancellationToken.None);
        Assert.NotNull(log);
        Assert.False(File.Exists(_layout.PathOf(log)));

        Assert.Equal(1, await _sealer.RecoverAsync(CancellationToken.None));
        Assert.True(File.Exists(_layout.PathOf(log)));
        Assert.Equal(AuditFiles.LogContent(records), AuditFiles.Gunzip(await File.ReadAllBytesAsync(_layout.PathOf(log))));
        Assert.Equal(0, await _sealer.RecoverAsync(CancellationToken.None));
        Assert.Equal(1, await _sealer.DigestAsync(CancellationToken.None));
        var report = await VerifyAsync();
        Assert.True(report.Ok, string.Join('\n', report.Lines));
    }

    [Fact]
    public async Task Append_ManyConcurrentCalls_AllDurableInFewCommits()
    {
        var appends = Enumerable.Range(0, 300).Select(i => _store.Audit.AppendAsync([Event("111111111111", $"Op{i}")], CancellationToken.None));
        await Task.WhenAll(appends);
        var page = await _store.Audit.LookupAsync(new AuditLookup { AccountId = "111111111111", Limit = 500 }, CancellationToken.None);
        Assert.Equal(300, page.Count);
        Assert.Equal(300, page.Select(e => e.EventName).Distinct().Count());
        Assert.Equal("f", page[0].Resources.Single().Name);
    }

    [Fact]
    public async Task Signer_Restart_LoadsTheSameKeyAndRefusesASubstitutedOne()
    {
        using var again = await AuditSigner.LoadOrCreateAsync(_store.Audit, _envelope, _time, CancellationToken.None);
        Assert.Equal(_signer.Fingerprint, again.Fingerprint);
        Assert.True(AuditSigner.IsGenuine(_signer.Key, _envelope));
        using var other = RSA.Create(2048);
        Assert.False(AuditSigner.IsGenuine(_signer.Key with { PublicKey = other.ExportRSAPublicKey() }, _envelope));
        Assert.False(AuditSigner.IsGenuine(_signer.Key, new Envelope(MasterKey.FromBytes(RandomNumberGenerator.GetBytes(MasterKey.KeySize)))));
    }
}
