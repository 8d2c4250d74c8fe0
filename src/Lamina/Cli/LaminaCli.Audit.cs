using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lamina.Core.Accounts;
using Lamina.Core.Audit;
using Lamina.Core.ConfigHistory;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;
using Lamina.Hosting;
using Lamina.Storage.Sqlite;

namespace Lamina.Cli;

/// <summary><c>lamina audit verify</c> and <c>lamina config history</c>: read the trail and the history of a data directory directly.</summary>
internal static partial class LaminaCli
{
    private static Option<string?> TimeOption(string name, string description) => new(name) { Description = description };

    private static Command AuditCommand()
    {
        var audit = new Command("audit", "Check the tamper-evident audit trail.");
        var dataDir = DataDirOption();
        var from = TimeOption("--from", "Validate digests that end at or after this time (ISO 8601, e.g. 2025-01-31T00:00:00Z)");
        var to = TimeOption("--to", "Validate digests that end at or before this time (default: now)");
        var account = new Option<string?>("--account") { Description = "Only this account's trail (default: every account)" };
        var verbose = new Option<bool>("--verbose") { Description = "Also list every valid file" };
        var verify = new Command("verify",
            "Validate the digest chain, signatures and log-file hashes, as 'aws cloudtrail validate-logs' does; exits 1 when anything is wrong.")
        {
            dataDir, from, to, account, verbose,
        };
        verify.SetAction(async (parse, cancellationToken) =>
        {
            if (await ReadOptionsAsync(parse, dataDir, from, to) is not var (data, start, end))
            {
                return 2;
            }

            // Without the master key the signing keys' provenance cannot be checked; everything else can.
            var envelope = File.Exists(data.MasterKey) ? new Envelope(MasterKey.LoadOrCreate(data.MasterKey)) : null;
            await using var store = await SqliteStore.OpenAsync(data.Database, TimeProvider.System, cancellationToken);
            var layout = new AuditLayout(data.Audit, new AuditOptions().Bucket, "", "");
            var report = await new AuditVerifier(store.Audit, layout, envelope).VerifyAsync(parse.GetValue(account), start, end, cancellationToken);
            Console.WriteLine($"Validating the audit trail in {layout.Root} from {(start is null ? "the beginning" : AuditFiles.TimeText(start.Value))} " +
                              $"to {(end is null ? "now" : AuditFiles.TimeText(end.Value))}");
            foreach (var line in report.Lines.Where(l => parse.GetValue(verbose) || !l.StartsWith("VALID\t", StringComparison.Ordinal)))
            {
                Console.WriteLine(line);
            }

            Console.WriteLine($"{report.DigestsValid}/{report.DigestsValid + report.DigestsInvalid} digest files valid");
            Console.WriteLine($"{report.LogsValid}/{report.LogsValid + report.LogsInvalid} log files valid");
            foreach (var (accountId, key, signature) in report.Heads)
            {
                Console.WriteLine($"Newest digest of {accountId}: {key} signature {signature}");
            }

            if (envelope is null)
            {
                Console.WriteLine($"Note: {data.MasterKey} is missing, so the signing keys' provenance was not checked.");
            }

            Console.WriteLine(report.Ok ? "The audit trail is intact." : $"{report.Problems.Count} problem(s) found.");
            return report.Ok ? 0 : 1;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }

    private static Command ConfigCommand()
    {
        var config = new Command("config", "Configuration history of Lambda resources.");
        var dataDir = DataDirOption();
        var type = new Option<string>("--resource-type")
        {
            Description = $"One of {string.Join(", ", ConfigResourceTypes.All)}",
            Required = true,
        };
        var id = new Option<string>("--resource-id")
        {
            Description = "Function name; NAME:VERSION, NAME:ALIAS or LAYER:VERSION for the others",
            Required = true,
        };
        var account = new Option<string>("--account")
        {
            Description = $"The account (default {Account.DefaultId})",
            DefaultValueFactory = _ => Account.DefaultId,
        };
        var from = TimeOption("--from", "Changes at or after this time (ISO 8601)");
        var to = TimeOption("--to", "Changes at or before this time (ISO 8601)");
        var json = new Option<bool>("--json") { Description = "One JSON object per change, with the full states before and after" };
        var region = new Option<string>("--region")
        {
            Description = "The server's region, for ARNs (env LAMINA_REGION; default us-east-1)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_REGION") is { Length: > 0 } r ? r : "us-east-1",
        };
        var history = new Command("history", "Every recorded change of one resource, oldest first, with what changed.")
        {
            dataDir, type, id, account, from, to, json, region,
        };
        history.SetAction(async (parse, cancellationToken) =>
        {
            if (await ReadOptionsAsync(parse, dataDir, from, to) is not var (data, start, end))
            {
                return 2;
            }

            await using var store = await SqliteStore.OpenAsync(data.Database, TimeProvider.System, cancellationToken);
            var service = new ConfigHistoryService(store, new ControlPlaneOptions { Region = parse.GetValue(region)! });
            string? token = null;
            do
            {
                var page = await service.GetAsync(parse.GetValue(account)!, parse.GetValue(type)!, parse.GetValue(id)!, start, end, forward: true,
                    ConfigHistoryService.MaxLimit, token, cancellationToken);
                if (!page.TryGetValue(out var result, out var error))
                {
                    await Console.Error.WriteLineAsync($"{error.Code}: {error.Message}");
                    return 1;
                }

                foreach (var change in result.Changes)
                {
                    Console.WriteLine(parse.GetValue(json) ? ChangeJson(change, service.Arn(change)) : ChangeText(change));
                }

                token = result.NextToken;
            }
            while (token is not null);

            return 0;
        });
        config.Subcommands.Add(history);
        return config;
    }

    /// <summary>The data directory and the --from/--to range; null (after saying why) when they are unusable.</summary>
    private static async Task<(DataDirectory Data, DateTimeOffset? From, DateTimeOffset? To)?> ReadOptionsAsync(ParseResult parse, Option<string> dataDir,
        Option<string?> from, Option<string?> to)
    {
        if (!TryParseTime(parse.GetValue(from), out var start) || !TryParseTime(parse.GetValue(to), out var end))
        {
            await Console.Error.WriteLineAsync("--from and --to take ISO 8601 times such as 2025-01-31T00:00:00Z.");
            return null;
        }

        var data = new DataDirectory(parse.GetValue(dataDir)!);
        if (!File.Exists(data.Database))
        {
            await Console.Error.WriteLineAsync($"{data.Database} does not exist: not a Lamina data directory.");
            return null;
        }

        return (data, start, end);
    }

    private static bool TryParseTime(string? text, out DateTimeOffset? time)
    {
        time = null;
        if (text is null)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        return false;
    }

    private static string ChangeJson(ConfigChange change, string arn)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("time", AuditFiles.TimeText(change.CapturedAt));
            writer.WriteString("resourceType", change.ResourceType);
            writer.WriteString("resourceId", change.ResourceId);
            writer.WriteString("arn", arn);
            writer.WriteString("changeType", change.ChangeType);
            writer.WriteString("eventName", change.EventName);
            writer.WriteString("eventId", change.EventId);
            writer.WritePropertyName("before");
            WriteState(writer, change.Before);
            writer.WritePropertyName("after");
            WriteState(writer, change.After);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteState(Utf8JsonWriter writer, string? state)
    {
        if (state is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(state);
        }
    }

    /// <summary>A change as text: when, what kind, which call, then each changed value as <c>path: before -> after</c>.</summary>
    private static string ChangeText(ConfigChange change)
    {
        var lines = new List<string>
        {
            $"{AuditFiles.TimeText(change.CapturedAt)}  {change.ChangeType,-6}  {change.ResourceType} {change.ResourceId}" +
            $"  {change.EventName ?? "(no API call)"}  {change.EventId ?? ""}".TrimEnd(),
        };
        if (change.ChangeType != "UPDATE" || change.Before is null)
        {
            // A creation or deletion: the whole state on one line rather than every value against nothing.
            var state = change.After ?? change.Before;
            if (state is not null)
            {
                using var doc = JsonDocument.Parse(state);
                lines.Add($"    {(change.After is null ? "before" : "after")}: {ConfigHistoryService.Json(doc.RootElement)}");
            }

            return string.Join('\n', lines);
        }

        var before = Flatten(change.Before);
        var after = Flatten(change.After);
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var old = before.GetValueOrDefault(path);
            var now = after.GetValueOrDefault(path);
            if (old != now)
            {
                lines.Add($"    {path}: {old ?? "(none)"} -> {now ?? "(none)"}");
            }
        }

        return string.Join('\n', lines);
    }

    private static Dictionary<string, string> Flatten(string? state)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        if (state is not null)
        {
            using var doc = JsonDocument.Parse(state);
            Flatten(doc.RootElement, "", leaves);
        }

        return leaves;
    }

    private static void Flatten(JsonElement element, string path, Dictionary<string, string> leaves)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    Flatten(member.Value, path.Length == 0 ? member.Name : $"{path}.{member.Name}", leaves);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}[{i++}]", leaves);
                }

                break;
            case JsonValueKind.Null:
                break;
            default:
                leaves[path] = ConfigHistoryService.Json(element);
                break;
        }
    }
}
