using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Lamina.Tests.Support;

namespace Lamina.Tests.E2e;

/// <summary>Names, packages and raw-HTTP setup shared by the end-to-end client tests.</summary>
internal static class E2eHelpers
{
    public const string Role = "arn:aws:iam::000000000000:role/lambda-role";
    public const string Runtime = "nodejs20.x";

    public static string Arn(string name, string? qualifier = null) =>
        $"arn:aws:lambda:us-east-1:000000000000:function:{name}" + (qualifier is null ? "" : $":{qualifier}");

    public static string LayerArn(string name, long? version = null) =>
        $"arn:aws:lambda:us-east-1:000000000000:layer:{name}" + (version is null ? "" : $":{version}");

    /// <summary>Base64 SHA-256, as Lambda reports CodeSha256.</summary>
    public static string Sha256(byte[] bytes) => Convert.ToBase64String(SHA256.HashData(bytes));

    public static byte[] Handler(int answer) => Zips.NodeHandler($"exports.handler = async () => ({{ answer: {answer} }});");

    public static string Str(JsonNode? node) => node?.GetValue<string>() ?? throw new InvalidOperationException("missing string member");

    /// <summary>Writes a package into <paramref name="dir"/> and returns the CLI's <c>fileb://</c> reference to it.</summary>
    public static string FileB(string dir, string fileName, byte[] bytes)
    {
        var path = Path.Combine(dir, fileName);
        File.WriteAllBytes(path, bytes);
        return "fileb://" + path;
    }

    /// <summary>Fetches a presigned code location with no credentials, as a browser or curl would.</summary>
    public static async Task<byte[]> DownloadAsync(string url)
    {
        using var http = new HttpClient();
        return await http.GetByteArrayAsync(url);
    }

    /// <summary>A valid .zip holding <paramref name="size"/> random (incompressible) bytes, stored uncompressed.</summary>
    public static byte[] StoredZip(int size)
    {
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        using var buffer = new MemoryStream(size + 1024);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("payload.bin", CompressionLevel.NoCompression).Open();
            entry.Write(payload);
        }

        return buffer.ToArray();
    }

    /// <summary>Creates a function over raw signed HTTP (setup, not the subject of a test).</summary>
    public static async Task CreateRawAsync(AwsClient client, string name, byte[] zip, bool publish = false)
    {
        var response = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = name,
            Runtime,
            Role,
            Handler = "index.handler",
            Code = new { ZipFile = Convert.ToBase64String(zip) },
            Publish = publish,
        });
        Assert.True(response.Status == 201, $"setup CreateFunction {name}: {response}");
    }

    /// <summary>Replaces the code and publishes it (setup), checking the version number it gets.</summary>
    public static async Task PublishRawAsync(AwsClient client, string name, byte[] newCode, string expectedVersion)
    {
        var code = await client.PutAsync($"/2015-03-31/functions/{name}/code", new { ZipFile = Convert.ToBase64String(newCode) });
        Assert.True(code.Status == 200, $"setup UpdateFunctionCode {name}: {code}");
        var published = await client.PostAsync($"/2015-03-31/functions/{name}/versions", new { });
        Assert.True(published.Status == 201, $"setup PublishVersion {name}: {published}");
        Assert.Equal(expectedVersion, Str(published.Json["Version"]));
    }
}
