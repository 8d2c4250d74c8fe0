using Lamina.Core.Accounts;
using Lamina.Core.Api.Lambda;
using Lamina.Core.Iam;
using Lamina.Core.Storage;

namespace Lamina.Tests.Storage;

/// <summary>
/// The contract every store backend must meet (SQLite now, PostgreSQL for scale-out): conditional
/// writes, version numbering, reference-counted blobs. A backend's test class derives from this.
/// </summary>
public abstract class StoreCompliance : IAsyncLifetime
{
    private protected IStore Store { get; private set; } = null!;

    private protected abstract Task<IStore> CreateEmptyStoreAsync();

    public async ValueTask InitializeAsync()
    {
        Store = await CreateEmptyStoreAsync();
        await Store.Accounts.CreateAsync(new Account("111111111111", "tenant", DateTimeOffset.UnixEpoch), Key("AKIATEST", "111111111111"),
            CancellationToken.None);
    }

    public virtual async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static AccessKeyRecord Key(string id, string account) => new()
    {
        AccessKeyId = id,
        AccountId = account,
        Kind = PrincipalKind.Root,
        PrincipalArn = $"arn:aws:iam::{account}:root",
        PrincipalId = account,
        SealedSecret = [1, 2, 3],
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    private static BlobClaim NewBlob(string id, string sha) =>
        new(new BlobRecord { Id = id, AccountId = "111111111111", Sha256 = sha, Size = 10, UnzippedSize = 20 }, IsNew: true);

    private static FunctionVersionRecord Version(string name, string version, string blob, string revision = "r1", string hash = "h1") => new()
    {
        AccountId = "111111111111",
        FunctionName = name,
        Version = version,
        Config = new FunctionConfiguration { FunctionName = name, Version = version, RevisionId = revision, MemorySize = 128, Timeout = 3 },
        CodeBlobId = blob,
        ContentHash = hash,
    };

    private static FunctionRecord Function(string name) => new() { AccountId = "111111111111", Name = name, CreatedAt = DateTimeOffset.UnixEpoch };

    private Task<WriteResult> CreateAsync(string name, string blobId = "b1", string sha = "sha1") =>
        Store.Functions.CreateAsync(Function(name), Version(name, FunctionVersions.Latest, blobId), null, NewBlob(blobId, sha), CancellationToken.None);

    [Fact]
    public async Task Create_SameNameTwice_SecondRefusedAndItsBlobOrphaned()
    {
        Assert.True((await CreateAsync("f")).Ok);
        var second = await CreateAsync("f", "b2", "sha2");
        Assert.Equal(WriteStatus.AlreadyExists, second.Status);
        Assert.Equal(["b2"], second.OrphanedBlobs);
        Assert.Null(await Store.Blobs.GetAsync("b2", CancellationToken.None));
    }

    [Fact]
    public async Task Create_DuplicateContent_DeduplicatesToExistingBlob()
    {
        await CreateAsync("f1", "b1", "same");
        var second = await CreateAsync("f2", "b2", "same");
        Assert.True(second.Ok);
        Assert.Equal(["b2"], second.OrphanedBlobs);
        var v = await Store.Functions.GetVersionAsync("111111111111", "f2", FunctionVersions.Latest, CancellationToken.None);
        Assert.Equal("b1", v!.CodeBlobId);
    }

    [Fact]
    public async Task UpdateLatest_StaleRevision_RefusedAndUnchanged()
    {
        await CreateAsync("f");
        var updated = Version("f", FunctionVersions.Latest, "b1", revision: "r2");
        var stale = await Store.Functions.UpdateLatestAsync(updated, "not-r1", null, null, CancellationToken.None);
        Assert.Equal(WriteStatus.RevisionMismatch, stale.Status);
        var current = await Store.Functions.GetVersionAsync("111111111111", "f", FunctionVersions.Latest, CancellationToken.None);
        Assert.Equal("r1", current!.RevisionId);
        Assert.True((await Store.Functions.UpdateLatestAsync(updated, "r1", null, null, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task UpdateLatest_NewCode_ReleasesOldBlob()
    {
        await CreateAsync("f");
        var result = await Store.Functions.UpdateLatestAsync(Version("f", FunctionVersions.Latest, "b9", revision: "r2"), "r1",
            NewBlob("b9", "sha9"), null, CancellationToken.None);
        Assert.True(result.Ok);
        Assert.Equal(["b1"], result.OrphanedBlobs);
        Assert.Null(await Store.Blobs.GetAsync("b1", CancellationToken.None));
        Assert.NotNull(await Store.Blobs.GetAsync("b9", CancellationToken.None));
    }

    [Fact]
    public async Task Publish_UnchangedContent_ReturnsExistingVersion_NumbersNeverReused()
    {
        await CreateAsync("f");
        FunctionVersionRecord Build(FunctionVersionRecord latest, long n) =>
            latest with { Version = n.ToString(System.Globalization.CultureInfo.InvariantCulture), Config = latest.Config with { Version = n.ToString(System.Globalization.CultureInfo.InvariantCulture) } };

        var (first, v1) = await Store.Functions.PublishAsync("111111111111", "f", null, Build, CancellationToken.None);
        Assert.True(first.Ok);
        Assert.Equal("1", v1!.Version);
        var (_, again) = await Store.Functions.PublishAsync("111111111111", "f", null, Build, CancellationToken.None);
        Assert.Equal("1", again!.Version);

        Assert.True((await Store.Functions.DeleteVersionAsync("111111111111", "f", "1", CancellationToken.None)).Ok);
        var (_, v2) = await Store.Functions.PublishAsync("111111111111", "f", null, Build, CancellationToken.None);
        Assert.Equal("2", v2!.Version);
    }

    [Fact]
    public async Task Publish_WrongRevision_Refused()
    {
        await CreateAsync("f");
        var (result, version) = await Store.Functions.PublishAsync("111111111111", "f", "other", (l, n) => l, CancellationToken.None);
        Assert.Equal(WriteStatus.RevisionMismatch, result.Status);
        Assert.Null(version);
    }

    [Fact]
    public async Task DeleteVersion_ReferencedByAlias_RefusedWithAliasNames()
    {
        await CreateAsync("f");
        await Store.Functions.PublishAsync("111111111111", "f", null,
            (l, n) => l with { Version = "1", Config = l.Config with { Version = "1" } }, CancellationToken.None);
        var alias = new AliasRecord
        {
            AccountId = "111111111111",
            FunctionName = "f",
            Config = new AliasConfiguration { Name = "live", FunctionVersion = "1", RevisionId = "a1" },
        };
        Assert.Equal(WriteStatus.Ok, await Store.Functions.CreateAliasAsync(alias, CancellationToken.None));
        Assert.Equal(WriteStatus.AlreadyExists, await Store.Functions.CreateAliasAsync(alias, CancellationToken.None));
        var refused = await Store.Functions.DeleteVersionAsync("111111111111", "f", "1", CancellationToken.None);
        Assert.Equal(WriteStatus.Refused, refused.Status);
        Assert.Equal("live", refused.Detail);
    }

    [Fact]
    public async Task DeleteFunction_ReleasesEveryBlobAndCascades()
    {
        await CreateAsync("f");
        var deleted = await Store.Functions.DeleteFunctionAsync("111111111111", "f", CancellationToken.None);
        Assert.True(deleted.Ok);
        Assert.Equal(["b1"], deleted.OrphanedBlobs);
        Assert.Null(await Store.Functions.GetFunctionAsync("111111111111", "f", CancellationToken.None));
        Assert.Empty(await Store.Functions.ListVersionsAsync("111111111111", "f", null, 10, CancellationToken.None));
        Assert.Equal(WriteStatus.NotFound, (await Store.Functions.DeleteFunctionAsync("111111111111", "f", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task ReservedConcurrency_OverAccountMaximum_Refused()
    {
        await CreateAsync("a", "b1", "s1");
        await CreateAsync("b", "b2", "s2");
        Assert.True((await Store.Functions.SetReservedConcurrencyAsync("111111111111", "a", 600, 900, CancellationToken.None)).Ok);
        Assert.Equal(WriteStatus.Refused, (await Store.Functions.SetReservedConcurrencyAsync("111111111111", "b", 301, 900, CancellationToken.None)).Status);
        Assert.True((await Store.Functions.SetReservedConcurrencyAsync("111111111111", "b", 300, 900, CancellationToken.None)).Ok);
        Assert.Equal(900, await Store.Functions.SumReservedConcurrencyAsync("111111111111", CancellationToken.None));
    }

    [Fact]
    public async Task Layers_VersionsCountUp_BlobKeptWhileAFunctionUsesIt()
    {
        LayerVersionRecord Build(long n) => new()
        {
            AccountId = "111111111111",
            LayerName = "lib",
            Version = n,
            CodeBlobId = "L1",
            UnzippedSize = 20,
            Info = new LayerVersionResponse { Version = n },
        };

        var (first, v1) = await Store.Layers.PublishAsync("111111111111", "lib", NewBlob("L1", "layer-sha"), Build, CancellationToken.None);
        Assert.True(first.Ok);
        Assert.Equal(1, v1!.Version);
        var fn = Version("f", FunctionVersions.Latest, "b1") with { LayerBlobIds = ["L1"] };
        Assert.True((await Store.Functions.CreateAsync(Function("f"), fn, null, NewBlob("b1", "s1"), CancellationToken.None)).Ok);

        var deleted = await Store.Layers.DeleteVersionAsync("111111111111", "lib", 1, CancellationToken.None);
        Assert.True(deleted.Ok);
        Assert.Empty(deleted.OrphanedBlobs);
        Assert.NotNull(await Store.Blobs.GetAsync("L1", CancellationToken.None));

        var (_, v2) = await Store.Layers.PublishAsync("111111111111", "lib", new BlobClaim((await Store.Blobs.GetAsync("L1", CancellationToken.None))!, false),
            Build, CancellationToken.None);
        Assert.Equal(2, v2!.Version);

        var gone = await Store.Functions.DeleteFunctionAsync("111111111111", "f", CancellationToken.None);
        Assert.DoesNotContain("L1", gone.OrphanedBlobs);
        var last = await Store.Layers.DeleteVersionAsync("111111111111", "lib", 2, CancellationToken.None);
        Assert.Equal(["L1"], last.OrphanedBlobs);
    }

    [Fact]
    public async Task Accounts_CreateClash_AndKeysRoundTrip()
    {
        Assert.Equal(WriteStatus.AlreadyExists,
            await Store.Accounts.CreateAsync(new Account("111111111111", "other", DateTimeOffset.UnixEpoch), Key("AKIA2", "111111111111"), CancellationToken.None));
        Assert.Equal(WriteStatus.AlreadyExists,
            await Store.Accounts.CreateAsync(new Account("222222222222", "tenant", DateTimeOffset.UnixEpoch), Key("AKIA3", "222222222222"), CancellationToken.None));
        var key = await Store.Accounts.GetAccessKeyAsync("AKIATEST", CancellationToken.None);
        Assert.Equal(PrincipalKind.Root, key!.Kind);
        Assert.Equal(new byte[] { 1, 2, 3 }, key.SealedSecret);
        Assert.Null(await Store.Accounts.GetAccessKeyAsync("AKIA3", CancellationToken.None));
    }

    [Fact]
    public async Task LongTermKeys_UserMustExist_QuotaIgnoresTemporaryKeys_StatusNeverRecreates()
    {
        const string Account = "111111111111";
        var arn = $"arn:aws:iam::{Account}:user/u";
        AccessKeyRecord UserKey(string id, DateTimeOffset? expires = null) =>
            Key(id, Account) with { Kind = PrincipalKind.User, PrincipalArn = arn, PrincipalId = "AIDAUSER", ExpiresAt = expires };

        Assert.Equal(WriteStatus.NotFound, await Store.Accounts.CreateLongTermKeyAsync(UserKey("AKIAU1"), "u", 2, CancellationToken.None));
        var user = new IamUser { AccountId = Account, UserName = "u", UserId = "AIDAUSER", CreatedAt = DateTimeOffset.UnixEpoch };
        Assert.Equal(WriteStatus.Ok, await Store.Iam.CreateUserAsync(user, CancellationToken.None));
        Assert.Equal(WriteStatus.Ok, await Store.Accounts.PutAccessKeyAsync(UserKey("ASIAU0", DateTimeOffset.UnixEpoch.AddDays(1)), CancellationToken.None));
        Assert.Equal(WriteStatus.Ok, await Store.Accounts.CreateLongTermKeyAsync(UserKey("AKIAU1"), "u", 2, CancellationToken.None));
        Assert.Equal(WriteStatus.Ok, await Store.Accounts.CreateLongTermKeyAsync(UserKey("AKIAU2"), "u", 2, CancellationToken.None));
        Assert.Equal(WriteStatus.Refused, await Store.Accounts.CreateLongTermKeyAsync(UserKey("AKIAU3"), "u", 2, CancellationToken.None));
        Assert.Null(await Store.Accounts.GetAccessKeyAsync("AKIAU3", CancellationToken.None));

        Assert.Equal(WriteStatus.Ok, await Store.Accounts.SetAccessKeyStatusAsync("AKIAU1", "Inactive", CancellationToken.None));
        Assert.Equal("Inactive", (await Store.Accounts.GetAccessKeyAsync("AKIAU1", CancellationToken.None))!.Status);
        Assert.Equal(WriteStatus.Ok, await Store.Accounts.DeleteAccessKeyAsync("AKIAU2", CancellationToken.None));
        Assert.Equal(WriteStatus.NotFound, await Store.Accounts.SetAccessKeyStatusAsync("AKIAU2", "Active", CancellationToken.None));
        Assert.Null(await Store.Accounts.GetAccessKeyAsync("AKIAU2", CancellationToken.None));

        Assert.Equal(WriteStatus.Ok, await Store.Iam.UpdateUserAsync(user with { Tags = new Dictionary<string, string> { ["k"] = "v" } }, CancellationToken.None));
        Assert.Equal("v", (await Store.Iam.GetUserAsync(Account, "U", CancellationToken.None))!.Tags["k"]);
        Assert.Equal(WriteStatus.NotFound, await Store.Iam.UpdateUserAsync(user with { UserName = "gone" }, CancellationToken.None));
    }

    [Fact]
    public async Task FunctionPolicy_EmptyRevisionMeansNoneYet_NullUnchecked_StaleRefused()
    {
        const string Account = "111111111111";
        await CreateAsync("f");
        Task<WriteStatus> PutAsync(string revision, string? expected, bool delete = false) => Store.Iam.PutFunctionPolicyAsync(Account, "f", "",
            delete ? null : new ResourcePolicy($$"""{"r":"{{revision}}"}""", revision), expected, CancellationToken.None);

        // "": there must be no policy yet, which holds once (AddPermission racing AddPermission).
        Assert.Equal(WriteStatus.Ok, await PutAsync("r1", ""));
        Assert.Equal(WriteStatus.RevisionMismatch, await PutAsync("r2", ""));
        Assert.Equal(WriteStatus.RevisionMismatch, await PutAsync("r2", "stale"));
        Assert.Equal(WriteStatus.Ok, await PutAsync("r2", "r1"));
        Assert.Equal("r2", (await Store.Iam.GetFunctionPolicyAsync(Account, "f", "", CancellationToken.None))!.RevisionId);
        Assert.Equal(WriteStatus.Ok, await PutAsync("r3", null));
        Assert.Equal(WriteStatus.Ok, await PutAsync("", "r3", delete: true));
        Assert.Null(await Store.Iam.GetFunctionPolicyAsync(Account, "f", "", CancellationToken.None));
        Assert.Equal(WriteStatus.NotFound, await Store.Iam.PutFunctionPolicyAsync(Account, "missing", "", null, null, CancellationToken.None));
    }

    [Fact]
    public async Task ListLatest_PaginatesInNameOrder()
    {
        for (var i = 0; i < 7; i++)
        {
            await CreateAsync($"fn-{i}", $"b{i}", $"s{i}");
        }

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await Store.Functions.ListLatestAsync("111111111111", after, 3, CancellationToken.None);
            seen.AddRange(page.Select(p => p.FunctionName));
            if (page.Count < 3)
            {
                break;
            }

            after = page[^1].FunctionName;
        }

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"fn-{i}"), seen);
    }
}
