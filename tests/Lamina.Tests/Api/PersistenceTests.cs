using System.IO.Compression;
using System.Text;
using Lamina.Core.Crypto;
using Lamina.Core.Storage;
using Lamina.Hosting;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.Api;

/// <summary>What a data directory holds after a run, and what a restart brings back.</summary>
public sealed class PersistenceTests
{
    private static byte[] StoredZip(string marker)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            // Stored, not deflated: an unencrypted copy on disk would contain the marker verbatim.
            var entry = zip.CreateEntry("index.js", CompressionLevel.NoCompression);
            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes($"exports.handler = async () => '{marker}';"));
        }

        return buffer.ToArray();
    }

    [Fact]
    public async Task Restart_KeepsFunctions_DataDirHoldsNoPlaintextCodeOrEnvironment()
    {
        var dir = TempDirs.Create("lamina-persist");
        var codeMarker = "CODE-MARKER-" + Guid.NewGuid().ToString("N");
        var envMarker = "ENV-SECRET-" + Guid.NewGuid().ToString("N");
        var options = new ServeOptions { DataDir = dir, Listen = "http://127.0.0.1:0", Region = "us-east-1" };
        try
        {
            string accessKey, secret, keyArn;
            var kmsMarker = "KMS-PLAINTEXT-" + Guid.NewGuid().ToString("N");
            await using (var server = await LaminaServer.StartAsync(options, CancellationToken.None))
            {
                await TestRoles.EnsureLambdaRoleAsync(server);
                accessKey = server.RootCredentials.AccessKeyId;
                secret = server.RootCredentials.SecretAccessKey;
                using var client = new AwsClient(new Uri(server.Endpoint), accessKey, secret, "us-east-1");
                using var kms = new AwsClient(new Uri(server.Endpoint), accessKey, secret, "us-east-1") { Service = "kms" };
                keyArn = (await kms.TargetAsync("TrentService.CreateKey", new { })).Json["KeyMetadata"]!["Arn"]!.GetValue<string>();
                var encrypted = await kms.TargetAsync("TrentService.Encrypt", new { KeyId = keyArn, Plaintext = Convert.ToBase64String(Encoding.UTF8.GetBytes(kmsMarker)) });
                Assert.Equal(200, encrypted.Status);
                for (var i = 0; i < 3; i++)
                {
                    // keep-0 and keep-1 use the account's alias/aws/lambda key, keep-2 a customer key.
                    var created = await client.PostAsync("/2015-03-31/functions", new
                    {
                        FunctionName = $"keep-{i}",
                        Runtime = "nodejs20.x",
                        Role = "arn:aws:iam::000000000000:role/lambda-role",
                        Handler = "index.handler",
                        Code = new { ZipFile = Convert.ToBase64String(StoredZip(codeMarker)) },
                        Environment = new { Variables = new Dictionary<string, string> { ["SECRET_VALUE"] = envMarker } },
                        KMSKeyArn = i == 2 ? keyArn : null,
                        Publish = true,
                    });
                    Assert.Equal(201, created.Status);
                }

                var updated = await client.PutAsync("/2015-03-31/functions/keep-0/configuration",
                    new { Environment = new { Variables = new Dictionary<string, string> { ["SECRET_VALUE"] = envMarker, ["OTHER"] = envMarker + "-2" } } });
                Assert.Equal(200, updated.Status);
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                Assert.False(Contains(bytes, codeMarker), $"{file} holds plaintext code");
                Assert.False(Contains(bytes, envMarker), $"{file} holds a plaintext environment value");
                Assert.False(Contains(bytes, kmsMarker), $"{file} holds plaintext given to KMS Encrypt");
                // The shared credentials file is the one place meant to hold the key (mode 0600, as ~/.aws/credentials).
                if (Path.GetFileName(file) != "credentials")
                {
                    Assert.False(Contains(bytes, secret), $"{file} holds the plaintext secret key");
                }
                else
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                }
            }

            await using (var again = await LaminaServer.StartAsync(options with { WriteClientFiles = false }, CancellationToken.None))
            {
                Assert.Equal(accessKey, again.RootCredentials.AccessKeyId);
                using var client = new AwsClient(new Uri(again.Endpoint), accessKey, secret, "us-east-1");
                var list = await client.GetAsync("/2015-03-31/functions");
                Assert.Equal(["keep-0", "keep-1", "keep-2"], list.Json["Functions"]!.AsArray().Select(f => f!["FunctionName"]!.GetValue<string>()));
                var version = await client.GetAsync("/2015-03-31/functions/keep-1?Qualifier=1");
                Assert.Equal(envMarker, version.Json["Configuration"]!["Environment"]!["Variables"]!["SECRET_VALUE"]!.GetValue<string>());
                var customer = await client.GetAsync("/2015-03-31/functions/keep-2/configuration?Qualifier=1");
                Assert.Equal(keyArn, customer.Json["KMSKeyArn"]!.GetValue<string>());
                Assert.Equal(envMarker, customer.Json["Environment"]!["Variables"]!["SECRET_VALUE"]!.GetValue<string>());
                using var http = new HttpClient();
                var zip = await http.GetByteArrayAsync(version.Json["Code"]!["Location"]!.GetValue<string>());
                Assert.True(Contains(zip, codeMarker));
            }
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task RotateMaster_WhileServing_EverythingRewrappedAndReadable_NewDataUnderNewKey()
    {
        var dir = TempDirs.Create("lamina-rotate");
        var options = new ServeOptions { DataDir = dir, Listen = "http://127.0.0.1:0", Region = "us-east-1" };
        var marker = "ROTATE-" + Guid.NewGuid().ToString("N");
        try
        {
            await using (var server = await LaminaServer.StartAsync(options, CancellationToken.None))
            {
                await TestRoles.EnsureLambdaRoleAsync(server);
                var root = server.RootCredentials;
                using var lambda = new AwsClient(new Uri(server.Endpoint), root.AccessKeyId, root.SecretAccessKey, "us-east-1");
                using var kms = new AwsClient(new Uri(server.Endpoint), root.AccessKeyId, root.SecretAccessKey, "us-east-1") { Service = "kms" };
                using var iam = new AwsClient(new Uri(server.Endpoint), root.AccessKeyId, root.SecretAccessKey, "us-east-1") { Service = "iam" };
                Assert.Equal(201, (await lambda.PostAsync("/2015-03-31/functions", new
                {
                    FunctionName = "rotated",
                    Runtime = "nodejs20.x",
                    Role = "arn:aws:iam::000000000000:role/lambda-role",
                    Handler = "index.handler",
                    Code = new { ZipFile = Convert.ToBase64String(StoredZip(marker)) },
                    Environment = new { Variables = new Dictionary<string, string> { ["VALUE"] = marker } },
                })).Status);
                var keyArn = (await kms.TargetAsync("TrentService.CreateKey", new { })).Json["KeyMetadata"]!["Arn"]!.GetValue<string>();
                var blob = (await kms.TargetAsync("TrentService.Encrypt", new { KeyId = keyArn, Plaintext = Convert.ToBase64String(Encoding.UTF8.GetBytes(marker)) }))
                    .Json["CiphertextBlob"]!.GetValue<string>();
                Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", "rotator"))).Status);
                var userKey = await iam.QueryAsync("CreateAccessKey", ("UserName", "rotator"));

                var rotated = await ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "lamina.dll"), "keys", "rotate-master", "--data-dir", dir]);
                Assert.True(rotated.ExitCode == 0, rotated.ToString());
                Assert.Contains("Master key 2 is now active", rotated.Stdout, StringComparison.Ordinal);

                // The running server reads what the verb re-wrapped: no restart, no failed request.
                var shown = await lambda.GetAsync("/2015-03-31/functions/rotated");
                Assert.Equal(marker, shown.Json["Configuration"]!["Environment"]!["Variables"]!["VALUE"]!.GetValue<string>());
                using (var http = new HttpClient())
                {
                    Assert.True(Contains(await http.GetByteArrayAsync(shown.Json["Code"]!["Location"]!.GetValue<string>()), marker));
                }

                var opened = await kms.TargetAsync("TrentService.Decrypt", new { CiphertextBlob = blob });
                Assert.Equal(marker, Encoding.UTF8.GetString(Convert.FromBase64String(opened.Json["Plaintext"]!.GetValue<string>())));
                using var user = new AwsClient(new Uri(server.Endpoint), userKey.XmlValue("AccessKeyId")!, userKey.XmlValue("SecretAccessKey")!, "us-east-1");
                Assert.Equal("AccessDeniedException", (await user.GetAsync("/2015-03-31/functions")).ErrorType);

                Assert.Equal(200, (await iam.QueryAsync("CreateAccessKey", ("UserName", "rotator"))).Status);
                var store = server.Services.GetRequiredService<IStore>();
                var cells = 0;
                var kinds = new HashSet<SealedKind>();
                await foreach (var cell in store.Sealed.ListAsync(CancellationToken.None))
                {
                    if (Envelope.IsEnvelope(cell.Value))
                    {
                        cells++;
                        kinds.Add(cell.Kind);
                        Assert.True(Envelope.MasterKeyIdOf(cell.Value) == 2, $"{cell.Kind} {cell.Id} is still under master key {Envelope.MasterKeyIdOf(cell.Value)}");
                    }
                }

                Assert.True(cells >= 4, $"only {cells} sealed values");
                Assert.Contains(SealedKind.AuditSigningKey, kinds);
                foreach (var file in Directory.EnumerateFiles(Path.Combine(dir, "blobs"), "*", SearchOption.AllDirectories))
                {
                    Assert.Equal(2u, Envelope.MasterKeyIdOf(await File.ReadAllBytesAsync(file)));
                }
            }

            await using (var again = await LaminaServer.StartAsync(options with { WriteClientFiles = false }, CancellationToken.None))
            {
                using var lambda = new AwsClient(new Uri(again.Endpoint), again.RootCredentials.AccessKeyId, again.RootCredentials.SecretAccessKey, "us-east-1");
                var shown = await lambda.GetAsync("/2015-03-31/functions/rotated/configuration");
                Assert.Equal(marker, shown.Json["Environment"]!["Variables"]!["VALUE"]!.GetValue<string>());
            }
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
