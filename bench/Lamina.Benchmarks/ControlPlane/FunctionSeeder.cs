using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>Creates the same functions in each server through its API, then checks both answer the reads alike.</summary>
internal static class FunctionSeeder
{
    /// <summary>
    /// Both servers check that the execution role exists in the caller's account (Lamina also that the caller may
    /// pass it), so each gets the role through its own IAM CreateRole and the functions name the ARN it answers.
    /// </summary>
    private const string RoleName = "bench-lambda-role";

    public static string FunctionName(int i) => $"bench-fn-{i:D3}";

    public static async Task SeedAsync(ServerUnderTest server, int count, int environmentVariables, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var roleArn = await CreateRoleArnAsync(http, server, RoleName, cancellationToken);

        var zip = NodeHandlerZip();
        var url = new Uri(server.Endpoint, "/2015-03-31/functions");
        for (var i = 0; i < count; i++)
        {
            var function = new JsonObject
            {
                ["FunctionName"] = FunctionName(i),
                ["Runtime"] = "nodejs20.x",
                ["Role"] = roleArn,
                ["Handler"] = "index.handler",
                ["Description"] = "control-plane benchmark function",
                ["Timeout"] = 3,
                ["MemorySize"] = 128,
                ["Code"] = new JsonObject { ["ZipFile"] = Convert.ToBase64String(zip) },
            };
            if (environmentVariables > 0)
            {
                var variables = new JsonObject();
                for (var v = 0; v < environmentVariables; v++)
                {
                    variables[$"VAR_{v}"] = $"value-{i}-{v}";
                }

                function["Environment"] = new JsonObject { ["Variables"] = variables };
            }

            var body = Encoding.UTF8.GetBytes(function.ToJsonString());
            var request = SignedRequest.Sign(HttpMethod.Post, url, server.Credentials, "lambda", DateTimeOffset.UtcNow, body, "application/json");
            await SendExpectingAsync(http, request, HttpStatusCode.Created, cancellationToken);
        }
    }

    /// <summary>
    /// One GetFunction and one ListFunctions: both must succeed, name the right function and list all
    /// <paramref name="count"/> functions, so the two servers are compared on the same work.
    /// Returns the response sizes in bytes.
    /// </summary>
    public static async Task<(int GetBytes, int ListBytes)> VerifyAsync(ServerUnderTest server, Uri getUrl, Uri listUrl, int count,
        CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var get = await SendExpectingAsync(http, SignedRequest.Sign(HttpMethod.Get, getUrl, server.Credentials, "lambda", DateTimeOffset.UtcNow),
            HttpStatusCode.OK, cancellationToken);
        var list = await SendExpectingAsync(http, SignedRequest.Sign(HttpMethod.Get, listUrl, server.Credentials, "lambda", DateTimeOffset.UtcNow),
            HttpStatusCode.OK, cancellationToken);
        var name = JsonNode.Parse(get)?["Configuration"]?["FunctionName"]?.GetValue<string>();
        var listed = JsonNode.Parse(list)?["Functions"]?.AsArray().Count ?? -1;
        if (name != ControlPlaneSettings.ReadFunction || listed != Math.Min(count, ControlPlaneSettings.ListPageSize))
        {
            throw new InvalidOperationException(
                $"{server.Name} answered GetFunction with '{name}' and listed {listed} functions; expected '{ControlPlaneSettings.ReadFunction}' and {count}.");
        }

        return (get.Length, list.Length);
    }

    /// <summary>IAM CreateRole through the query API, trusted by Lambda; returns the XML answer (it holds the role's ARN).</summary>
    internal static async Task<byte[]> CreateRoleAsync(HttpClient http, ServerUnderTest server, CancellationToken cancellationToken,
        string roleName = RoleName)
    {
        const string TrustPolicy =
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";
        var form = $"Action=CreateRole&Version=2010-05-08&RoleName={roleName}&AssumeRolePolicyDocument={Uri.EscapeDataString(TrustPolicy)}";
        var request = SignedRequest.Sign(HttpMethod.Post, new Uri(server.Endpoint, "/"), server.Credentials with { Region = "us-east-1" }, "iam",
            DateTimeOffset.UtcNow, Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded; charset=utf-8");
        return await SendExpectingAsync(http, request, HttpStatusCode.OK, cancellationToken);
    }

    /// <summary><see cref="CreateRoleAsync"/>, then the role's ARN from the answer's <c>&lt;Arn&gt;</c> element.</summary>
    public static async Task<string> CreateRoleArnAsync(HttpClient http, ServerUnderTest server, string roleName, CancellationToken cancellationToken)
    {
        var xml = Encoding.UTF8.GetString(await CreateRoleAsync(http, server, cancellationToken, roleName));
        var start = xml.IndexOf("<Arn>", StringComparison.Ordinal);
        var end = start < 0 ? -1 : xml.IndexOf("</Arn>", start, StringComparison.Ordinal);
        return end > start
            ? xml[(start + "<Arn>".Length)..end]
            : throw new InvalidOperationException($"{server.Name} answered CreateRole without a role ARN: {xml}");
    }

    public static async Task<byte[]> SendExpectingAsync(HttpClient http, SignedRequest request, HttpStatusCode expected,
        CancellationToken cancellationToken)
    {
        using var message = request.ToMessage();
        using var response = await http.SendAsync(message, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException(
                $"{request.Method} {request.Url} answered {(int)response.StatusCode}, expected {(int)expected}: {Encoding.UTF8.GetString(body)}");
        }

        return body;
    }

    private static byte[] NodeHandlerZip() =>
        Zip("index.js", "exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });\n", executable: false);

    /// <summary>A one-file deployment package; <paramref name="executable"/> sets Unix mode 0755 (a custom runtime's bootstrap).</summary>
    public static byte[] Zip(string path, string content, bool executable)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry(path, CompressionLevel.Fastest);
            if (executable)
            {
                entry.ExternalAttributes = (0x8000 | 0b111_101_101) << 16;
            }

            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes(content));
        }

        return buffer.ToArray();
    }
}
