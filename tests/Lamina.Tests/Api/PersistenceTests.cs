using System.IO.Compression;
using System.Text;
using Lamina.Hosting;
using Lamina.Tests.Support;

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
            string accessKey, secret;
            await using (var server = await LaminaServer.StartAsync(options, CancellationToken.None))
            {
                await TestRoles.EnsureLambdaRoleAsync(server);
                accessKey = server.RootCredentials.AccessKeyId;
                secret = server.RootCredentials.SecretAccessKey;
                using var client = new AwsClient(new Uri(server.Endpoint), accessKey, secret, "us-east-1");
                for (var i = 0; i < 3; i++)
                {
                    var created = await client.PostAsync("/2015-03-31/functions", new
                    {
                        FunctionName = $"keep-{i}",
                        Runtime = "nodejs20.x",
                        Role = "arn:aws:iam::000000000000:role/lambda-role",
                        Handler = "index.handler",
                        Code = new { ZipFile = Convert.ToBase64String(StoredZip(codeMarker)) },
                        Environment = new { Variables = new Dictionary<string, string> { ["SECRET_VALUE"] = envMarker } },
                        Publish = true,
                    });
                    Assert.Equal(201, created.Status);
                }
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                Assert.False(Contains(bytes, codeMarker), $"{file} holds plaintext code");
                Assert.False(Contains(bytes, envMarker), $"{file} holds a plaintext environment value");
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

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
