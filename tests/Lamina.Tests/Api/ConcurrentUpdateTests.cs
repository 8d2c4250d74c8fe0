using Lamina.Tests.Support;

namespace Lamina.Tests.Api;

/// <summary>
/// Several clients changing one function at once without RevisionIds, as parallel deploy jobs do (found
/// by the boto3 end-to-end scenario): no write may be lost and none may fail a revision check it did not ask for.
/// </summary>
public sealed class ConcurrentUpdateTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private const int Writers = 16;

    private async Task<AwsClient> CreateAsync(string name, bool publish = false)
    {
        var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = name,
            Runtime = "nodejs20.x",
            Role = "arn:aws:iam::000000000000:role/lambda-role",
            Handler = "index.handler",
            Code = new { ZipFile = Convert.ToBase64String(Zips.NodeHandler()) },
            Publish = publish,
        });
        Assert.True(created.Status == 201, created.ToString());
        return client;
    }

    [Fact]
    public async Task TagResource_SixteenAtOnce_KeepsEveryKey()
    {
        using var client = await CreateAsync("race-tags");
        var arn = Uri.EscapeDataString("arn:aws:lambda:us-east-1:000000000000:function:race-tags");

        var responses = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            client.PostAsync($"/2017-03-31/tags/{arn}", new { Tags = new Dictionary<string, string> { [$"key{i:D2}"] = $"{i}" } })));

        Assert.All(responses, r => Assert.Equal(204, r.Status));
        var tags = (await client.GetAsync($"/2017-03-31/tags/{arn}")).Json["Tags"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, Writers).Select(i => $"key{i:D2}"), tags.Select(t => t.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UntagResource_WhileTagging_RemovesOnlyItsKeys()
    {
        using var client = await CreateAsync("race-untag");
        var arn = Uri.EscapeDataString("arn:aws:lambda:us-east-1:000000000000:function:race-untag");
        var seeded = await client.PostAsync($"/2017-03-31/tags/{arn}",
            new { Tags = Enumerable.Range(0, 8).ToDictionary(i => $"old{i}", i => "x") });
        Assert.Equal(204, seeded.Status);

        var untags = Enumerable.Range(0, 8).Select(i => client.DeleteAsync($"/2017-03-31/tags/{arn}?tagKeys=old{i}"));
        var tags = Enumerable.Range(0, 8).Select(i => client.PostAsync($"/2017-03-31/tags/{arn}",
            new { Tags = new Dictionary<string, string> { [$"new{i}"] = "y" } }));
        var responses = await Task.WhenAll(untags.Concat(tags));

        Assert.All(responses, r => Assert.Equal(204, r.Status));
        var left = (await client.GetAsync($"/2017-03-31/tags/{arn}")).Json["Tags"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"new{i}"), left.Select(t => t.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UpdateFunctionConfiguration_SixteenAtOnceWithoutRevisionId_AllApplied()
    {
        using var client = await CreateAsync("race-config");

        var responses = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            client.PutAsync("/2015-03-31/functions/race-config/configuration", new { Description = $"d{i}" })));

        // Each lost race is caused by another writer's commit, so 16 writers need at most 15 retries.
        Assert.All(responses, r => Assert.True(r.Status == 200, r.ToString()));
        var revisions = responses.Select(r => r.Json["RevisionId"]!.GetValue<string>()).ToList();
        Assert.Equal(Writers, revisions.Distinct().Count());
        var final = await client.GetAsync("/2015-03-31/functions/race-config/configuration");
        Assert.Contains(final.Json["RevisionId"]!.GetValue<string>(), revisions);
    }

    [Fact]
    public async Task UpdateAlias_SixteenAtOnceWithoutRevisionId_AllApplied()
    {
        using var client = await CreateAsync("race-alias", publish: true);
        var alias = await client.PostAsync("/2015-03-31/functions/race-alias/aliases", new { Name = "live", FunctionVersion = "1" });
        Assert.Equal(201, alias.Status);

        var responses = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            client.PutAsync("/2015-03-31/functions/race-alias/aliases/live", new { Description = $"d{i}" })));

        Assert.All(responses, r => Assert.True(r.Status == 200, r.ToString()));
        var final = await client.GetAsync("/2015-03-31/functions/race-alias/aliases/live");
        Assert.Contains(final.Json["Description"]!.GetValue<string>(), responses.Select(r => r.Json["Description"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UpdateFunctionConfiguration_StaleRevisionId_StillPreconditionFailed()
    {
        using var client = await CreateAsync("race-stale");
        var first = await client.GetAsync("/2015-03-31/functions/race-stale/configuration");
        var revision = first.Json["RevisionId"]!.GetValue<string>();
        Assert.Equal(200, (await client.PutAsync("/2015-03-31/functions/race-stale/configuration", new { Timeout = 10 })).Status);

        var stale = await client.PutAsync("/2015-03-31/functions/race-stale/configuration", new { Timeout = 11, RevisionId = revision });

        Assert.Equal(412, stale.Status);
        Assert.Equal("PreconditionFailedException", stale.ErrorType);
    }
}
