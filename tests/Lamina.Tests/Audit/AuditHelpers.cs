using System.Text;
using System.Text.Json.Nodes;
using Lamina.Core.Audit;
using Lamina.Core.Storage;
using Lamina.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.Audit;

/// <summary>Raw JSON 1.1 calls, the lamina binary as a process, and what is on disk and in the store.</summary>
internal static class AuditHelpers
{
    public const string LookupTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";

    private static string LaminaDll => Path.Combine(AppContext.BaseDirectory, "lamina.dll");

    /// <summary>A JSON 1.1 call (<c>POST /</c> with <c>X-Amz-Target</c>), signed for <paramref name="client"/>'s service.</summary>
    public static Task<AwsResponse> Json11Async(AwsClient client, string target, object body) =>
        client.SendAsync(HttpMethod.Post, "/", body, headers: new Dictionary<string, string> { ["X-Amz-Target"] = target },
            contentType: "application/x-amz-json-1.1");

    /// <summary>LookupEvents over raw HTTP: every event of the caller's account matching one attribute (all pages).</summary>
    public static async Task<List<JsonNode>> LookupAsync(LaminaFixture fixture, string? key, string? value, string? accessKeyId = null, string? secret = null)
    {
        using var client = new AwsClient(new Uri(fixture.Endpoint), accessKeyId ?? fixture.AccessKeyId, secret ?? fixture.SecretAccessKey, fixture.Region)
        {
            Service = "cloudtrail",
        };
        var events = new List<JsonNode>();
        string? token = null;
        do
        {
            var body = new JsonObject { ["MaxResults"] = 50 };
            if (key is not null)
            {
                body["LookupAttributes"] = new JsonArray(new JsonObject { ["AttributeKey"] = key, ["AttributeValue"] = value });
            }

            if (token is not null)
            {
                body["NextToken"] = token;
            }

            var response = await Json11Async(client, LookupTarget, body.ToJsonString());
            Assert.True(response.Status == 200, response.ToString());
            events.AddRange(response.Json["Events"]!.AsArray().Select(e => e!));
            token = response.Json["NextToken"]?.GetValue<string>();
        }
        while (token is not null);

        return events;
    }

    /// <summary>The CloudTrail record inside a LookupEvents event.</summary>
    public static JsonNode Record(JsonNode lookupEvent) => JsonNode.Parse(lookupEvent["CloudTrailEvent"]!.GetValue<string>())!;

    /// <summary>Runs <c>lamina ARGS</c> (the real binary verb) and returns its exit code and output.</summary>
    public static Task<ProcessResult> LaminaAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", new[] { LaminaDll }.Concat(args), timeout: TimeSpan.FromMinutes(2));

    /// <summary>Everything the audit trail and the configuration history hold, as text: stored records, history states, every file uncompressed.</summary>
    public static string EverythingRecorded(string dataDir)
    {
        var text = new StringBuilder();
        using (var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "lamina.db")};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT record FROM audit_events UNION ALL SELECT coalesce(before_state, '') || coalesce(after_state, '') FROM config_history";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                text.AppendLine(reader.GetString(0));
            }
        }

        var audit = Path.Combine(dataDir, "audit");
        if (Directory.Exists(audit))
        {
            foreach (var file in Directory.EnumerateFiles(audit, "*", SearchOption.AllDirectories))
            {
                var bytes = File.ReadAllBytes(file);
                text.AppendLine(file.EndsWith(".json.gz", StringComparison.Ordinal) ? Encoding.UTF8.GetString(AuditFiles.Gunzip(bytes)) : Encoding.UTF8.GetString(bytes));
            }
        }

        return text.ToString();
    }

    /// <summary>Seals everything recorded so far into log files and a signed digest, as the hourly timer would.</summary>
    internal static Task DigestNowAsync(LaminaFixture fixture) =>
        fixture.Server.Services.GetRequiredService<AuditSealer>().DigestAsync(CancellationToken.None);

    internal static IStore Store(LaminaFixture fixture) => fixture.Server.Services.GetRequiredService<IStore>();
}
