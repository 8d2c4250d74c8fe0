using System.Text.Json.Nodes;
using Lamina.Core.Iam;
using Lamina.Core.Storage;
using Lamina.Tests.Support;

namespace Lamina.Tests.Durable;

/// <summary>
/// A server with durable functions deployed from tests/functions/durable-js: the handlers use the
/// official @aws/durable-execution-sdk-js (from tests/e2e/node_modules), zipped as a user would ship them.
/// </summary>
public sealed class DurableFixture : LaminaFixture
{
    public const string Role = "arn:aws:iam::000000000000:role/durable-role";

    private readonly SemaphoreSlim _create = new(1, 1);
    private readonly HashSet<string> _created = [];
    private byte[]? _zip;

    /// <summary>The handler file and the SDK's ES-module build; @aws-sdk/client-lambda comes from the runtime, as on AWS.</summary>
    public byte[] Zip => _zip ??= BuildZip();

    public static byte[] BuildZip()
    {
        var root = ProcessRunner.RepoRoot;
        var sdk = Path.Combine(root, "tests", "e2e", "node_modules", "@aws", "durable-execution-sdk-js");
        var files = new List<(string, string)>
        {
            ("index.mjs", File.ReadAllText(Path.Combine(root, "tests", "functions", "durable-js", "index.mjs"))),
            ("node_modules/@aws/durable-execution-sdk-js/package.json", File.ReadAllText(Path.Combine(sdk, "package.json"))),
        };
        foreach (var file in Directory.EnumerateFiles(Path.Combine(sdk, "dist"), "*.mjs", SearchOption.AllDirectories))
        {
            files.Add(("node_modules/@aws/durable-execution-sdk-js/" + Path.GetRelativePath(sdk, file).Replace('\\', '/'), File.ReadAllText(file)));
        }

        return Zips.Of([.. files]);
    }

    /// <summary>Creates (once) a durable function running export <paramref name="handler"/>.</summary>
    public async Task<string> FunctionAsync(string handler, int executionTimeout = 120, string? name = null, string role = Role)
    {
        name ??= $"durable-{handler}";
        await _create.WaitAsync();
        try
        {
            if (_created.Add(name))
            {
                if (_created.Count == 1)
                {
                    await TestRoles.EnsureLambdaRoleAsync(Server, name: "durable-role",
                        inlinePolicy: """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}]}""");
                    var iam = ((IStore)Server.Services.GetService(typeof(IStore))!).Iam;
                    await iam.AttachPolicyAsync("000000000000", IamPrincipalType.Role, "durable-role",
                        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicDurableExecutionRolePolicy", CancellationToken.None);
                    ((PolicyAuthorizer)Server.Services.GetService(typeof(PolicyAuthorizer))!).Invalidate();
                }

                using var client = Client();
                var durable = handler == "double" ? null : new { ExecutionTimeout = executionTimeout, RetentionPeriodInDays = 1 };
                var created = await client.PostAsync("/2015-03-31/functions", new
                {
                    FunctionName = name,
                    Runtime = "nodejs20.x",
                    Role = role,
                    Handler = $"index.{handler}",
                    Code = new { ZipFile = Convert.ToBase64String(Zip) },
                    MemorySize = 512,
                    Timeout = 30,
                    DurableConfig = durable,
                });
                Assert.True(created.Status == 201, created.ToString());
            }
        }
        finally
        {
            _create.Release();
        }

        return name;
    }

    /// <summary>Creates a durable function from any package (the .NET tests deploy a published project).</summary>
    public async Task CreateAsync(string name, string runtime, string handler, byte[] zip, int executionTimeout = 120)
    {
        await FunctionAsync("double", name: "durable-role-holder");
        using var client = Client();
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = name,
            Runtime = runtime,
            Role,
            Handler = handler,
            Code = new { ZipFile = Convert.ToBase64String(zip) },
            MemorySize = 512,
            Timeout = 30,
            DurableConfig = new { ExecutionTimeout = executionTimeout, RetentionPeriodInDays = 1 },
        });
        Assert.True(created.Status == 201, created.ToString());
    }

    /// <summary>Creates a role Lambda can assume with the basic execution policy and, optionally, an inline policy.</summary>
    public Task RoleAsync(string name, string? inlinePolicy) => TestRoles.EnsureLambdaRoleAsync(Server, name: name, inlinePolicy: inlinePolicy);

    public static string Escape(string arn) => Uri.EscapeDataString(arn);

    public async Task<JsonNode> ExecutionAsync(string arn)
    {
        using var client = Client();
        var response = await client.GetAsync($"/2025-12-01/durable-executions/{Escape(arn)}");
        Assert.True(response.Status == 200, response.ToString());
        return response.Json;
    }

    public async Task<List<JsonNode>> HistoryAsync(string arn, bool includeData = true)
    {
        using var client = Client();
        var events = new List<JsonNode>();
        string? marker = null;
        do
        {
            var query = $"?IncludeExecutionData={(includeData ? "true" : "false")}&MaxItems=50" + (marker is null ? "" : $"&Marker={marker}");
            var response = await client.GetAsync($"/2025-12-01/durable-executions/{Escape(arn)}/history{query}");
            Assert.True(response.Status == 200, response.ToString());
            events.AddRange(response.Json["Events"]!.AsArray().Select(e => e!));
            marker = response.Json["NextMarker"]?.GetValue<string>();
        }
        while (marker is not null);
        return events;
    }

    /// <summary>Waits until the execution is no longer RUNNING.</summary>
    public async Task<JsonNode> ClosedAsync(string arn, int timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var execution = await ExecutionAsync(arn);
            if (execution["Status"]!.GetValue<string>() != "RUNNING" || DateTime.UtcNow > deadline)
            {
                return execution;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Lines a function printed that start with <paramref name="prefix"/>.</summary>
    public async Task<List<string>> LogLinesAsync(string function, string prefix)
    {
        var store = (IStore)Server.Services.GetService(typeof(IStore))!;
        var lines = await store.Logs.ReadAsync("000000000000", $"/aws/lambda/{function}", null, 0, 100_000, CancellationToken.None);
        return lines.Select(l => l.Event.Message.Trim()).Where(m => m.Contains(prefix, StringComparison.Ordinal))
            .Select(m => m[m.IndexOf(prefix, StringComparison.Ordinal)..]).ToList();
    }
}
