using System.Text;
using System.Text.Json.Nodes;
using Lamina.Core.Audit;
using Lamina.Hosting;
using Lamina.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static Lamina.Tests.Audit.AuditHelpers;

namespace Lamina.Tests.Audit;

/// <summary>
/// A finished trail (a server that served calls over four digest periods, then shut down) that each test
/// copies and damages.
/// </summary>
public sealed class TrailFixture : IAsyncLifetime
{
    public string Root { get; } = TempDirs.Create("lamina-trail");

    public string Pristine => Path.Combine(Root, "pristine");

    public async ValueTask InitializeAsync()
    {
        var server = await LaminaServer.StartAsync(new ServeOptions { DataDir = Pristine, Listen = "http://127.0.0.1:0", Region = "us-east-1" },
            CancellationToken.None);
        await using (server)
        {
            using var client = new AwsClient(new Uri(server.Endpoint), server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey, "us-east-1");
            using var iam = new AwsClient(new Uri(server.Endpoint), server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey, "us-east-1")
            {
                Service = "iam",
            };
            var sealer = server.Services.GetRequiredService<AuditSealer>();
            for (var period = 0; period < 3; period++)
            {
                Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", $"trail-user-{period}"))).Status);
                Assert.Equal(200, (await client.GetAsync("/2015-03-31/functions")).Status);
                Assert.Equal(404, (await client.GetAsync($"/2015-03-31/functions/trail-{period}")).Status);
                await sealer.SealAsync(CancellationToken.None);
                Assert.Equal(200, (await client.GetAsync("/2016-08-19/account-settings")).Status);
                await sealer.DigestAsync(CancellationToken.None);
            }

            Assert.Equal(200, (await client.GetAsync("/2015-03-31/functions")).Status);
        }
    }

    public ValueTask DisposeAsync()
    {
        TempDirs.Delete(Root);
        return ValueTask.CompletedTask;
    }

    /// <summary>A fresh copy of the finished data directory.</summary>
    public string Copy(string name)
    {
        var target = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(Pristine, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Pristine, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return target;
    }
}

/// <summary>
/// <c>lamina audit verify</c> (the real binary, as an operator runs it) passes an untouched trail and catches
/// every kind of damage: a flipped byte, an edited, deleted, inserted or reordered log file or record, an
/// edited, re-signed, deleted, inserted or reordered digest, a truncated trail, a substituted signing key.
/// </summary>
public sealed class AuditTamperTests(TrailFixture trail) : IClassFixture<TrailFixture>
{
    private const string Bucket = "lamina-audit";

    private static string AuditRoot(string dataDir) => Path.Combine(dataDir, "audit", Bucket);

    /// <summary>Digest files, oldest first (their names end with the digest's end time).</summary>
    private static List<string> Digests(string dataDir) =>
        Directory.EnumerateFiles(AuditRoot(dataDir), "*.json.gz", SearchOption.AllDirectories)
            .Where(p => p.Contains("CloudTrail-Digest", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    private static List<string> Logs(string dataDir) =>
        Directory.EnumerateFiles(AuditRoot(dataDir), "*.json.gz", SearchOption.AllDirectories)
            .Where(p => !p.Contains("CloudTrail-Digest", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    private static JsonNode ReadGz(string path) => JsonNode.Parse(AuditFiles.Gunzip(File.ReadAllBytes(path)))!;

    private static void WriteGz(string path, JsonNode content) => File.WriteAllBytes(path, AuditFiles.Gzip(Encoding.UTF8.GetBytes(content.ToJsonString())));

    /// <summary>The log files a digest lists.</summary>
    private static List<string> ListedLogs(string dataDir, string digest) =>
        ReadGz(digest)["logFiles"]!.AsArray().Select(l => Path.Combine(AuditRoot(dataDir), l!["s3Object"]!.GetValue<string>())).ToList();

    private static void FlipByte(string path, int fromEnd)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[^fromEnd] ^= 0x20;
        File.WriteAllBytes(path, bytes);
    }

    private static void Swap(string a, string b)
    {
        var tmp = a + ".swap";
        File.Move(a, tmp);
        File.Move(b, a);
        File.Move(tmp, b);
    }

    [Fact]
    public async Task Verify_UntouchedTrail_PassesWithEveryFileValid()
    {
        var dir = trail.Copy("untouched");
        Assert.True(Digests(dir).Count >= 4, "the fixture should have written at least four digests");
        var result = await LaminaAsync("audit", "verify", "--data-dir", dir);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("The audit trail is intact.", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{Digests(dir).Count}/{Digests(dir).Count} digest files valid", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{Logs(dir).Count}/{Logs(dir).Count} log files valid", result.Stdout, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Damages => new()
    {
        { "log-byte-flipped", "MODIFIED" },
        { "log-record-edited", "MODIFIED" },
        { "log-deleted", "MISSING" },
        { "log-inserted", "INSERTED" },
        { "logs-swapped", "MODIFIED" },
        { "records-reordered", "MODIFIED" },
        { "digest-byte-flipped", "MODIFIED" },
        { "digest-edited", "MODIFIED" },
        { "signature-replaced", "MODIFIED" },
        { "digest-deleted", "MISSING" },
        { "digest-inserted", "INSERTED" },
        { "digests-swapped", "MOVED" },
        { "truncated", "MISSING" },
        { "key-substituted", "INVALID" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task Verify_DamagedTrail_ExitsNonZeroNamingTheDamage(string damage, string expected)
    {
        var dir = trail.Copy(damage);
        var digests = Digests(dir);
        var middle = digests[^3];
        var middleLogs = ListedLogs(dir, middle);
        switch (damage)
        {
            case "log-byte-flipped":
                FlipByte(middleLogs[0], 12);
                break;
            case "log-record-edited":
                {
                    var log = ReadGz(middleLogs[0]);
                    log["Records"]![0]!["eventName"] = "SomethingElse";
                    WriteGz(middleLogs[0], log);
                    break;
                }

            case "log-deleted":
                File.Delete(middleLogs[0]);
                break;
            case "log-inserted":
                File.Copy(middleLogs[0], middleLogs[0].Replace(".json.gz", "", StringComparison.Ordinal)[..^16] + "ffffffffffffffff.json.gz");
                break;
            case "logs-swapped":
                Swap(middleLogs[0], ListedLogs(dir, digests[^2])[0]);
                break;
            case "records-reordered":
                {
                    var path = Logs(dir).First(p => ReadGz(p)["Records"]!.AsArray().Count >= 2);
                    var log = ReadGz(path);
                    var records = log["Records"]!.AsArray().Select(r => r!.DeepClone()).Reverse().ToArray();
                    log["Records"] = new JsonArray(records);
                    WriteGz(path, log);
                    break;
                }

            case "digest-byte-flipped":
                FlipByte(middle, 12);
                break;
            case "digest-edited":
                {
                    // Edit a log and rewrite its hash into the digest: the digest's signature no longer matches.
                    var log = ReadGz(middleLogs[0]);
                    log["Records"]![0]!["sourceIPAddress"] = "203.0.113.9";
                    WriteGz(middleLogs[0], log);
                    var digest = ReadGz(middle);
                    digest["logFiles"]![0]!["hashValue"] = AuditFiles.Sha256Hex(Encoding.UTF8.GetBytes(log.ToJsonString()));
                    WriteGz(middle, digest);
                    break;
                }

            case "signature-replaced":
                File.Copy(digests[^2] + AuditLayout.SidecarSuffix, middle + AuditLayout.SidecarSuffix, overwrite: true);
                break;
            case "digest-deleted":
                File.Delete(middle);
                File.Delete(middle + AuditLayout.SidecarSuffix);
                break;
            case "digest-inserted":
                {
                    var forged = digests[^1][..^"0000Z.json.gz".Length] + "5959Z.json.gz";
                    File.Copy(digests[^1], forged);
                    File.Copy(digests[^1] + AuditLayout.SidecarSuffix, forged + AuditLayout.SidecarSuffix);
                    break;
                }

            case "digests-swapped":
                Swap(middle, digests[^2]);
                Swap(middle + AuditLayout.SidecarSuffix, digests[^2] + AuditLayout.SidecarSuffix);
                break;
            case "truncated":
                foreach (var log in ListedLogs(dir, digests[^1]))
                {
                    File.Delete(log);
                }

                File.Delete(digests[^1]);
                File.Delete(digests[^1] + AuditLayout.SidecarSuffix);
                break;
            case "key-substituted":
                {
                    using var rsa = System.Security.Cryptography.RSA.Create(2048);
                    using var db = new SqliteConnection($"Data Source={Path.Combine(dir, "lamina.db")};Pooling=False");
                    db.Open();
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = "UPDATE audit_keys SET public_key = $k";
                    cmd.Parameters.AddWithValue("$k", rsa.ExportRSAPublicKey());
                    Assert.Equal(1, cmd.ExecuteNonQuery());
                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "unknown damage");
        }

        var result = await LaminaAsync("audit", "verify", "--data-dir", dir);
        Assert.True(result.ExitCode == 1, $"{damage}: verify should fail with exit 1\n{result}");
        Assert.Contains(expected + "\t", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("The audit trail is intact.", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_FromAndTo_ChecksOnlyDigestsInTheRange()
    {
        var dir = trail.Copy("range");
        var digests = Digests(dir);
        File.Delete(ListedLogs(dir, digests[0]).First());
        var end = AuditLayout.DigestEndFromKey(digests[1].Replace('\\', '/'))!.Value;
        var later = await LaminaAsync("audit", "verify", "--data-dir", dir, "--from", AuditFiles.TimeText(end));
        Assert.True(later.ExitCode == 0, later.ToString());
        var all = await LaminaAsync("audit", "verify", "--data-dir", dir);
        Assert.Equal(1, all.ExitCode);
        Assert.Contains("MISSING\t", all.Stdout, StringComparison.Ordinal);
    }

    /// <summary>awscli's own validator (the code <c>aws cloudtrail validate-logs</c> runs) accepts every digest: same format, same signed string.</summary>
    [Fact]
    public async Task AwscliValidator_AcceptsEveryDigest()
    {
        const string Script = """
            import sys, sqlite3, glob, gzip, json, base64, os
            from awscli.customizations.cloudtrail.validation import Sha256RSADigestValidator
            data = sys.argv[1]
            db = sqlite3.connect(os.path.join(data, 'lamina.db'))
            keys = {fp: base64.b64encode(pk) for fp, pk in db.execute('select fingerprint, public_key from audit_keys')}
            bucket_dir = os.path.join(data, 'audit', 'lamina-audit')
            validator = Sha256RSADigestValidator()
            count = 0
            for path in sorted(glob.glob(bucket_dir + '/**/CloudTrail-Digest/**/*.json.gz', recursive=True)):
                raw = gzip.open(path).read()
                digest = json.loads(raw)
                meta = json.load(open(path + '.metadata.json'))
                digest['_signature'] = meta['signature']
                digest['_signature_algorithm'] = meta['signature-algorithm']
                key = os.path.relpath(path, bucket_dir)
                assert digest['digestS3Object'] == key and digest['digestS3Bucket'] == 'lamina-audit', key
                validator.validate('lamina-audit', key, keys[digest['digestPublicKeyFingerprint']], digest, raw)
                count += 1
            print(count)
            """;
        var dir = trail.Copy("awscli");
        var result = await ProcessRunner.RunAsync("python3", ["-c", Script, dir]);
        Assert.SkipWhen(result.Stderr.Contains("No module named 'awscli'", StringComparison.Ordinal), "awscli is not importable by python3");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Digests(dir).Count.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Stdout.Trim());
    }
}
