using System.IO.Compression;
using System.Text.Json.Nodes;
using Lamina.Tests.Support;

namespace Lamina.Tests.Durable;

/// <summary>Publishes tests/functions/dotnet/DurableDotnet (a Lamina.Durable workflow) once, as a user would.</summary>
public sealed class DurableDotnetPackage : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("lamina-durable-dotnet");

    public byte[] Zip { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        var root = ProcessRunner.RepoRoot;
        var runtime = await ProcessRunner.RunAsync("bash", [Path.Combine(root, "runtimes", "dotnet", "build.sh")], timeout: TimeSpan.FromMinutes(5));
        Assert.True(runtime.ExitCode == 0, $"runtimes/dotnet/build.sh failed:\n{runtime}");
        var output = Path.Combine(_dir, "publish");
        var publish = await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(root, "tests", "functions", "dotnet", "DurableDotnet", "DurableDotnet.csproj"), "-c", "Release", "-o", output,
             "-nologo", "-tl:off", "-v", "quiet"],
            env: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" }, timeout: TimeSpan.FromMinutes(5));
        Assert.True(publish.ExitCode == 0, $"dotnet publish DurableDotnet failed:\n{publish}");
        using var zip = new MemoryStream();
        await ZipFile.CreateFromDirectoryAsync(output, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        Zip = zip.ToArray();
    }

    public ValueTask DisposeAsync()
    {
        TempDirs.Delete(_dir);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A C# durable workflow written with Lamina.Durable runs on the dotnet10 runtime against the same service the JS SDK uses.</summary>
public sealed class DurableDotnetTests(DurableFixture fixture, DurableDotnetPackage package) : IClassFixture<DurableFixture>, IClassFixture<DurableDotnetPackage>
{
    private const string Handler = "DurableDotnet::DurableDotnet.OrderWorkflow::HandleAsync";

    private async Task<string> StartAsync(string function, object order)
    {
        using var client = fixture.Client();
        var response = await client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{function}/invocations?Qualifier=%24LATEST", order,
            headers: new Dictionary<string, string> { ["X-Amz-Invocation-Type"] = "Event" });
        Assert.True(response.Status == 202, response.ToString());
        return response.Headers["X-Amz-Durable-Execution-Arn"];
    }

    [Fact]
    public async Task OrderWorkflow_RetriesMapsWaitsAndCallsBack()
    {
        await fixture.CreateAsync("durable-dotnet-orders", "dotnet10", Handler, package.Zip);

        // A small order: no approval needed.
        var small = await StartAsync("durable-dotnet-orders", new { orderId = "o-1", amount = 20, items = new[] { "apple", "pear" } });
        var done = await fixture.ClosedAsync(small, 90);
        Assert.True(done["Status"]!.GetValue<string>() == "SUCCEEDED", done.ToJsonString());
        var result = JsonNode.Parse(done["Result"]!.GetValue<string>())!;
        Assert.Equal("CHARGED", result["status"]!.GetValue<string>());
        Assert.Equal(2, result["attempts"]!.GetValue<int>());
        Assert.Equal(2, result["reservations"]!.AsArray().Count);

        var history = await fixture.HistoryAsync(small);
        var types = history.Select(e => e["EventType"]!.GetValue<string>()).ToList();
        Assert.Contains("StepFailed", types);
        Assert.Contains("WaitSucceeded", types);
        Assert.Contains(history, e => e["SubType"]?.GetValue<string>() == "Map");

        // A large order waits for an approval sent with the AWS CLI.
        var large = await StartAsync("durable-dotnet-orders", new { orderId = "o-2", amount = 5000, items = new[] { "car" } });
        string? callbackId = null;
        for (var i = 0; i < 300 && callbackId is null; i++)
        {
            callbackId = (await fixture.HistoryAsync(large)).FirstOrDefault(e => e["EventType"]!.GetValue<string>() == "CallbackStarted")?
                ["CallbackStartedDetails"]!["CallbackId"]!.GetValue<string>();
            await Task.Delay(200);
        }

        Assert.NotNull(callbackId);
        await new AwsCli(fixture).JsonAsync("lambda", "send-durable-execution-callback-success", "--callback-id", callbackId!, "--result", "manager-7");
        var approved = await fixture.ClosedAsync(large, 90);
        Assert.True(approved["Status"]!.GetValue<string>() == "SUCCEEDED", approved.ToJsonString());
        Assert.Equal("manager-7", JsonNode.Parse(approved["Result"]!.GetValue<string>())!["approvedBy"]!.GetValue<string>());
    }
}
