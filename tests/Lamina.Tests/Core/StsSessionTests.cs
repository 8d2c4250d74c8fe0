using System.Security.Cryptography;
using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Crypto;
using Lamina.Core.Iam;
using Lamina.Storage.Sqlite;
using Lamina.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Lamina.Tests.Core;

/// <summary>
/// STS sessions against a real store on a fake clock: expiry is enforced by the authenticator without
/// waiting, and AssumeRole's duration rules hold.
/// </summary>
public sealed class StsSessionTests : IAsyncLifetime
{
    private const string AccountId = "123456789012";
    private const string Trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}""";

    private readonly string _dir = TempDirs.Create("sts-session");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private SqliteStore _store = null!;
    private Authenticator _authenticator = null!;
    private IamService _iam = null!;
    private StsService _sts = null!;

    public async ValueTask InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(Path.Combine(_dir, "sts.db"), _time, CancellationToken.None);
        var envelope = new Envelope(MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32)));
        _authenticator = new Authenticator(_store, envelope, _time, "us-east-1");
        _iam = new IamService(_store, new PolicyAuthorizer(_store, _time), _authenticator, envelope, _time);
        _sts = new StsService(_store, _iam, new CredentialIssuer(_store, envelope, _time));
        await new AccountService(_store, envelope, _time).CreateAsync("sts", AccountId, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        TempDirs.Delete(_dir);
    }

    private static CallerIdentity User(string name = "alice") =>
        new(AccountId, $"arn:aws:iam::{AccountId}:user/{name}", "AIDAEXAMPLEEXAMPLE001", PrincipalKind.User, "AKIAEXAMPLE");

    private async Task<IamRole> RoleAsync(string name, int maxSession = 3600) =>
        (await _iam.CreateRoleAsync(AccountId, new IamService.NewRole(name, "/", Trust, null, maxSession, new Dictionary<string, string>()),
            CancellationToken.None)).Value;

    private sealed class SignedRequest(Dictionary<string, string> headers, byte[] body) : ISigV4Request
    {
        public string Method => "POST";
        public string RawPath => "/";
        public string RawQuery => "";
        public string PayloadHash { get; } = Convert.ToHexStringLower(SHA256.HashData(body));
        public string? Header(string lowerName) => headers.GetValueOrDefault(lowerName);
    }

    private ValueTask<(CallerIdentity? Identity, AuthProblem? Problem)> AuthenticateAsync(TemporaryCredentials credentials)
    {
        var body = "Action=GetCallerIdentity&Version=2011-06-15"u8.ToArray();
        var headers = new Dictionary<string, string> { ["host"] = "127.0.0.1:9600" };
        foreach (var (name, value) in SigV4Signer.SignHeaders("POST", new Uri("http://127.0.0.1:9600/"), [], body, credentials.AccessKeyId,
                     credentials.SecretAccessKey, "us-east-1", "sts", _time.GetUtcNow(), credentials.SessionToken))
        {
            headers[name.ToLowerInvariant()] = value;
        }

        return _authenticator.AuthenticateAsync(new SignedRequest(headers, body), CancellationToken.None);
    }

    [Fact]
    public async Task AssumeRole_900Seconds_KeyWorksUntilExpiryThenExpiredToken()
    {
        var role = await RoleAsync("short");
        var session = (await _sts.AssumeRoleAsync(User(), role, new AssumeRoleInput("s1", 900, null, []), CancellationToken.None)).Value;

        Assert.Equal(_time.GetUtcNow().AddSeconds(900), session.Credentials.Expiration);
        Assert.Equal($"{role.RoleId}:s1", session.AssumedRoleId);
        Assert.Equal($"arn:aws:sts::{AccountId}:assumed-role/short/s1", session.Credentials.PrincipalArn);
        Assert.StartsWith("ASIA", session.Credentials.AccessKeyId, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(899));
        var (identity, _) = await AuthenticateAsync(session.Credentials);
        Assert.Equal(PrincipalKind.AssumedRole, identity!.Kind);
        Assert.Equal($"{role.RoleId}:s1", identity.PrincipalId);

        _time.Advance(TimeSpan.FromSeconds(1));
        var (expired, problem) = await AuthenticateAsync(session.Credentials);
        Assert.Null(expired);
        Assert.Equal(AuthFailure.TokenExpired, problem!.Failure);
    }

    [Fact]
    public async Task AssumeRole_DurationRules()
    {
        var role = await RoleAsync("rules", maxSession: 7200);
        var tooLong = await _sts.AssumeRoleAsync(User(), role, new AssumeRoleInput("s", 7201, null, []), CancellationToken.None);
        Assert.Equal("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", tooLong.Error!.Message);
        Assert.Equal("ValidationError", tooLong.Error.Code);

        var ok = await _sts.AssumeRoleAsync(User(), role, new AssumeRoleInput("s", 7200, null, []), CancellationToken.None);
        Assert.True(ok.IsSuccess);
        Assert.Null(ok.Value.PackedPolicySize);

        var chainedCaller = new CallerIdentity(AccountId, ok.Value.Credentials.PrincipalArn, ok.Value.AssumedRoleId, PrincipalKind.AssumedRole,
            ok.Value.Credentials.AccessKeyId);
        var chained = await _sts.AssumeRoleAsync(chainedCaller, role, new AssumeRoleInput("s2", 3601, null, []), CancellationToken.None);
        Assert.Equal("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", chained.Error!.Message);
        Assert.True((await _sts.AssumeRoleAsync(chainedCaller, role, new AssumeRoleInput("s2", null, null, []), CancellationToken.None)).IsSuccess);
    }

    [Fact]
    public async Task AssumeRole_SessionPolicies_StoredWithPackedSize()
    {
        var role = await RoleAsync("narrow");
        const string Policy = """{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": "lambda:List*", "Resource": "*" } ] }""";
        var session = (await _sts.AssumeRoleAsync(User(), role,
            new AssumeRoleInput("s", null, Policy, ["arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"]), CancellationToken.None)).Value;
        Assert.InRange(session.PackedPolicySize!.Value, 1, 100);

        var key = await _store.Accounts.GetAccessKeyAsync(session.Credentials.AccessKeyId, CancellationToken.None);
        var info = System.Text.Json.JsonSerializer.Deserialize(key!.SessionData!, SessionJson.Default.SessionInfo)!;
        Assert.Equal(2, info.SessionPolicies!.Count);
        Assert.Equal("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:List*","Resource":"*"}]}""", info.SessionPolicies[0]);

        var huge = "{\"Version\":\"2012-10-17\",\"Statement\":[" + string.Join(',', Enumerable.Range(0, 60).Select(i =>
            $"{{\"Effect\":\"Allow\",\"Action\":\"lambda:GetFunction\",\"Resource\":\"arn:aws:lambda:us-east-1:{AccountId}:function:f{i}\"}}")) + "]}";
        var tooLarge = await _sts.AssumeRoleAsync(User(), role, new AssumeRoleInput("s", null, huge, []), CancellationToken.None);
        Assert.Equal("PackedPolicyTooLarge", tooLarge.Error!.Code);
    }

    [Fact]
    public async Task GetSessionToken_RootCappedAtOneHour_SessionsRefused()
    {
        var root = new CallerIdentity(AccountId, $"arn:aws:iam::{AccountId}:root", AccountId, PrincipalKind.Root, "AKIAROOT");
        var credentials = (await _sts.GetSessionTokenAsync(root, 7200, CancellationToken.None)).Value;
        Assert.Equal(_time.GetUtcNow().AddHours(1), credentials.Expiration);
        var (identity, _) = await AuthenticateAsync(credentials);
        Assert.Equal($"arn:aws:iam::{AccountId}:root", identity!.Arn);
        Assert.Equal(AccountId, identity.PrincipalId);

        var again = await _sts.GetSessionTokenAsync(identity, null, CancellationToken.None);
        Assert.Equal("Cannot call GetSessionToken with session credentials", again.Error!.Message);
        Assert.Equal(_time.GetUtcNow().AddHours(12), (await _sts.GetSessionTokenAsync(User(), null, CancellationToken.None)).Value.Expiration);
    }
}
