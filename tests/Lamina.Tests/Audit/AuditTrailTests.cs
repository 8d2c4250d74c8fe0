using System.Text.Json.Nodes;
using Lamina.Core.Accounts;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static Lamina.Tests.Audit.AuditHelpers;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.Audit;

/// <summary>
/// The audit trail as clients see it: one CloudTrail record per API call, found with the real
/// <c>aws cloudtrail lookup-events</c>, carrying who called (root, IAM user, role session), what was asked
/// and answered (secrets hidden), and kept per account.
/// </summary>
public sealed class AuditTrailTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private readonly AwsCli _cli = new(fixture);

    [Fact]
    public async Task LookupEvents_RealCli_FindsCallsByAttributeTimeAndPage()
    {
        using var client = fixture.Client();
        await CreateRawAsync(client, "audit-lookup", Handler(1));
        Assert.Equal(200, (await client.GetAsync("/2015-03-31/functions/audit-lookup")).Status);
        Assert.Equal(200, (await client.PutAsync("/2015-03-31/functions/audit-lookup/configuration", new { MemorySize = 256 })).Status);
        Assert.Equal(404, (await client.GetAsync("/2015-03-31/functions/audit-lookup-missing")).Status);

        var byResource = await _cli.JsonAsync("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=ResourceName,AttributeValue=audit-lookup");
        var names = byResource["Events"]!.AsArray().Select(e => e!["EventName"]!.GetValue<string>()).ToList();
        Assert.Equal(["UpdateFunctionConfiguration", "GetFunction", "CreateFunction"], names);

        // Other tests in this class update their own functions on the same server, in an order xunit does not fix.
        var update = (await _cli.JsonAsync("cloudtrail", "lookup-events", "--lookup-attributes",
            "AttributeKey=EventName,AttributeValue=UpdateFunctionConfiguration"))["Events"]!.AsArray()
            .Single(e => e!["Resources"]!.AsArray().Any(r => r!["ResourceName"]!.GetValue<string>() == "audit-lookup"))!;
        Assert.Equal("false", update["ReadOnly"]!.GetValue<string>());
        Assert.Equal("lambda.amazonaws.com", update["EventSource"]!.GetValue<string>());
        Assert.Equal("root", update["Username"]!.GetValue<string>());
        Assert.Equal(fixture.AccessKeyId, update["AccessKeyId"]!.GetValue<string>());
        Assert.Equal("AWS::Lambda::Function", update["Resources"]![0]!["ResourceType"]!.GetValue<string>());
        var record = Record(update);
        Assert.Equal("1.09", record["eventVersion"]!.GetValue<string>());
        Assert.Equal("Root", record["userIdentity"]!["type"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:root", record["userIdentity"]!["arn"]!.GetValue<string>());
        Assert.Equal("audit-lookup", record["requestParameters"]!["functionName"]!.GetValue<string>());
        Assert.Equal(256, record["requestParameters"]!["memorySize"]!.GetValue<int>());
        Assert.Equal(256, record["responseElements"]!["memorySize"]!.GetValue<int>());
        Assert.Equal(update["EventId"]!.GetValue<string>(), record["eventID"]!.GetValue<string>());
        Assert.Equal("AwsApiCall", record["eventType"]!.GetValue<string>());
        Assert.True(record["managementEvent"]!.GetValue<bool>());
        Assert.Equal("Management", record["eventCategory"]!.GetValue<string>());
        Assert.Equal("000000000000", record["recipientAccountId"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", record["sourceIPAddress"]!.GetValue<string>());
        Assert.Equal("us-east-1", record["awsRegion"]!.GetValue<string>());

        var missing = (await LookupAsync(fixture, "ResourceName", "audit-lookup-missing")).Single();
        Assert.Equal("ResourceNotFoundException", Record(missing)["errorCode"]!.GetValue<string>());
        Assert.Null(Record(missing)["responseElements"]);

        var byId = await _cli.JsonAsync("cloudtrail", "lookup-events", "--lookup-attributes",
            $"AttributeKey=EventId,AttributeValue={update["EventId"]!.GetValue<string>()}");
        Assert.Single(byId["Events"]!.AsArray());
        var readOnly = await LookupAsync(fixture, "ReadOnly", "true");
        Assert.NotEmpty(readOnly);
        Assert.All(readOnly, e => Assert.Equal("true", e["ReadOnly"]!.GetValue<string>()));

        var future = await _cli.JsonAsync("cloudtrail", "lookup-events", "--start-time", DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        Assert.Empty(future["Events"]!.AsArray());
        var window = await _cli.JsonAsync("cloudtrail", "lookup-events", "--start-time", DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"),
            "--end-time", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"), "--lookup-attributes", "AttributeKey=ResourceName,AttributeValue=audit-lookup");
        Assert.Equal(3, window["Events"]!.AsArray().Count);

        // Each lookup is itself recorded: a fixed end time keeps the pages still.
        var until = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O");
        var firstPage = await _cli.JsonAsync("cloudtrail", "lookup-events", "--end-time", until, "--max-items", "2");
        var secondPage = await _cli.JsonAsync("cloudtrail", "lookup-events", "--end-time", until, "--max-items", "2",
            "--starting-token", firstPage["NextToken"]!.GetValue<string>());
        var ids = firstPage["Events"]!.AsArray().Concat(secondPage["Events"]!.AsArray()).Select(e => e!["EventId"]!.GetValue<string>()).ToList();
        Assert.Equal(4, ids.Distinct().Count());

        Assert.Equal("InvalidLookupAttributesException", (await _cli.ErrorAsync("cloudtrail", "lookup-events", "--lookup-attributes",
            "AttributeKey=EventName,AttributeValue=A", "AttributeKey=Username,AttributeValue=B")).Code);
        Assert.Equal("InvalidTimeRangeException", (await _cli.ErrorAsync("cloudtrail", "lookup-events",
            "--start-time", "2025-02-01T00:00:00Z", "--end-time", "2025-01-01T00:00:00Z")).Code);
    }

    [Fact]
    public async Task Records_IamUserAndRoleSession_CarryTheirIdentity()
    {
        using var iam = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", "audit-reader"))).Status);
        Assert.Equal(200, (await iam.QueryAsync("AttachUserPolicy", ("UserName", "audit-reader"),
            ("PolicyArn", "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"))).Status);
        var key = await iam.QueryAsync("CreateAccessKey", ("UserName", "audit-reader"));
        var (keyId, secret) = (key.XmlValue("AccessKeyId")!, key.XmlValue("SecretAccessKey")!);
        using (var reader = fixture.Client(keyId, secret))
        {
            Assert.Equal(200, (await reader.GetAsync("/2015-03-31/functions")).Status);
            Assert.Equal(403, (await reader.PostAsync("/2015-03-31/functions", new { FunctionName = "audit-denied" })).Status);
        }

        var byUser = await LookupAsync(fixture, "Username", "audit-reader");
        Assert.Equal(["CreateFunction", "ListFunctions"], byUser.Select(e => e["EventName"]!.GetValue<string>()));
        Assert.All(byUser, e => Assert.Equal(keyId, e["AccessKeyId"]!.GetValue<string>()));
        var denied = Record(byUser[0]);
        Assert.Equal("AccessDeniedException", denied["errorCode"]!.GetValue<string>());
        Assert.Contains("lambda:CreateFunction", denied["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        var identity = Record(byUser[1])["userIdentity"]!;
        Assert.Equal("IAMUser", identity["type"]!.GetValue<string>());
        Assert.Equal("audit-reader", identity["userName"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:user/audit-reader", identity["arn"]!.GetValue<string>());
        Assert.StartsWith("AIDA", identity["principalId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(keyId, identity["accessKeyId"]!.GetValue<string>());

        // Root may not assume roles (as on AWS); the trust policy names the user, which suffices in its own account.
        const string Trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/audit-reader"},"Action":"sts:AssumeRole"}]}""";
        Assert.Equal(200, (await iam.QueryAsync("CreateRole", ("RoleName", "audit-role"), ("AssumeRolePolicyDocument", Trust))).Status);
        Assert.Equal(200, (await iam.QueryAsync("AttachRolePolicy", ("RoleName", "audit-role"),
            ("PolicyArn", "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess"))).Status);
        using var sts = new AwsClient(new Uri(fixture.Endpoint), keyId, secret, fixture.Region) { Service = "sts" };
        var assumed = await sts.QueryAsync("AssumeRole", ("RoleArn", "arn:aws:iam::000000000000:role/audit-role"), ("RoleSessionName", "audit-session"));
        Assert.Equal(200, assumed.Status);
        using (var session = fixture.Client(assumed.XmlValue("AccessKeyId"), assumed.XmlValue("SecretAccessKey"), assumed.XmlValue("SessionToken")))
        {
            Assert.Equal(200, (await session.GetAsync("/2015-03-31/functions")).Status);
        }

        var sessionEvent = Record((await LookupAsync(fixture, "Username", "audit-session")).Single());
        var role = sessionEvent["userIdentity"]!;
        Assert.Equal("AssumedRole", role["type"]!.GetValue<string>());
        Assert.Equal("arn:aws:sts::000000000000:assumed-role/audit-role/audit-session", role["arn"]!.GetValue<string>());
        Assert.EndsWith(":audit-session", role["principalId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Role", role["sessionContext"]!["sessionIssuer"]!["type"]!.GetValue<string>());
        Assert.Equal("arn:aws:iam::000000000000:role/audit-role", role["sessionContext"]!["sessionIssuer"]!["arn"]!.GetValue<string>());
        Assert.Equal("audit-role", role["sessionContext"]!["sessionIssuer"]!["userName"]!.GetValue<string>());
        Assert.NotNull(role["sessionContext"]!["attributes"]!["creationDate"]);

        var assumeRole = Record((await LookupAsync(fixture, "EventName", "AssumeRole")).Single());
        Assert.Equal("sts.amazonaws.com", assumeRole["eventSource"]!.GetValue<string>());
        Assert.Equal("audit-session", assumeRole["requestParameters"]!["roleSessionName"]!.GetValue<string>());
        var credentials = assumeRole["responseElements"]!["credentials"]!;
        Assert.Equal(assumed.XmlValue("AccessKeyId"), credentials["accessKeyId"]!.GetValue<string>());
        Assert.Equal("HIDDEN_DUE_TO_SECURITY_REASONS", credentials["secretAccessKey"]!.GetValue<string>());
        Assert.Equal("HIDDEN_DUE_TO_SECURITY_REASONS", credentials["sessionToken"]!.GetValue<string>());
    }

    [Fact]
    public async Task Records_NeverHoldSecretsPayloadsOrCode()
    {
        const string EnvSecret = "env-secret-4f1c9e27";
        const string PayloadSecret = "payload-secret-9b3d71aa";
        var zip = Zips.NodeHandler("exports.handler = async () => 'code-secret-55e0c1d2';");
        using var client = fixture.Client();
        var created = await client.PostAsync("/2015-03-31/functions", new
        {
            FunctionName = "audit-secrets",
            Runtime,
            Role,
            Handler = "index.handler",
            Code = new { ZipFile = Convert.ToBase64String(zip) },
            Environment = new { Variables = new Dictionary<string, string> { ["DB_PASSWORD"] = EnvSecret } },
        });
        Assert.Equal(201, created.Status);
        Assert.Equal(200, (await client.PutAsync("/2015-03-31/functions/audit-secrets/configuration",
            new { Environment = new { Variables = new Dictionary<string, string> { ["DB_PASSWORD"] = EnvSecret + "-2" } } })).Status);
        Assert.Equal(200, (await client.GetAsync("/2015-03-31/functions/audit-secrets")).Status);
        await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/audit-secrets/invocations", new { password = PayloadSecret });

        using var iam = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", "audit-keyholder"))).Status);
        var userSecret = (await iam.QueryAsync("CreateAccessKey", ("UserName", "audit-keyholder"))).XmlValue("SecretAccessKey")!;
        using var sts = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "sts" };
        var token = await sts.QueryAsync("GetSessionToken");
        Assert.Equal(200, token.Status);
        await DigestNowAsync(fixture);

        var everything = EverythingRecorded(fixture.DataDir);
        foreach (var secret in new[]
                 {
                     EnvSecret, PayloadSecret, Convert.ToBase64String(zip), "code-secret-55e0c1d2", userSecret, fixture.SecretAccessKey,
                     token.XmlValue("SecretAccessKey")!, token.XmlValue("SessionToken")!,
                 })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }

        var create = Record((await LookupAsync(fixture, "EventName", "CreateFunction")).Single(e => e["Resources"]![0]!["ResourceName"]!.GetValue<string>() == "audit-secrets"));
        Assert.Equal("HIDDEN_DUE_TO_SECURITY_REASONS", create["requestParameters"]!["environment"]!["variables"]!["DB_PASSWORD"]!.GetValue<string>());
        Assert.Equal("HIDDEN_DUE_TO_SECURITY_REASONS", create["requestParameters"]!["code"]!["zipFile"]!.GetValue<string>());
        Assert.Equal("HIDDEN_DUE_TO_SECURITY_REASONS", create["responseElements"]!["environment"]!["variables"]!["DB_PASSWORD"]!.GetValue<string>());
        Assert.Equal(Sha256(zip), create["responseElements"]!["codeSha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invoke_IsRecordedAsDataEvent_WithoutItsPayload()
    {
        using var client = fixture.Client();
        Assert.Equal(201, (await client.PostAsync("/2015-03-31/functions", TestRuntime.CreateRequest("audit-invoke"))).Status);
        var invoked = await client.SendAsync(HttpMethod.Post, "/2015-03-31/functions/audit-invoke/invocations?Qualifier=%24LATEST", new { action = "echo", value = 7 });
        Assert.Equal(200, invoked.Status);

        var invoke = (await LookupAsync(fixture, "EventName", "Invoke")).Single(e => e["Resources"]![0]!["ResourceName"]!.GetValue<string>() == "audit-invoke");
        var record = Record(invoke);
        Assert.Equal("Data", record["eventCategory"]!.GetValue<string>());
        Assert.False(record["managementEvent"]!.GetValue<bool>());
        Assert.False(record["readOnly"]!.GetValue<bool>());
        Assert.Equal("audit-invoke", record["requestParameters"]!["functionName"]!.GetValue<string>());
        Assert.Equal("RequestResponse", record["requestParameters"]!["invocationType"]!.GetValue<string>());
        Assert.Equal("$LATEST", record["requestParameters"]!["qualifier"]!.GetValue<string>());
        Assert.Null(record["responseElements"]);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:audit-invoke:$LATEST", record["additionalEventData"]!["functionVersion"]!.GetValue<string>());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:audit-invoke", record["resources"]![0]!["ARN"]!.GetValue<string>());
        Assert.DoesNotContain("\"value\"", record.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accounts_SeeOnlyTheirOwnEvents_AndCrossAccountCallsReachBoth()
    {
        var (_, other) = await fixture.Server.Services.GetRequiredService<AccountService>().CreateAsync("audit-other", null, CancellationToken.None);
        using var theirs = fixture.Client(other!.AccessKeyId, other.SecretAccessKey);
        Assert.Equal(200, (await theirs.GetAsync("/2015-03-31/functions")).Status);
        var theirEvents = await LookupAsync(fixture, null, null, other.AccessKeyId, other.SecretAccessKey);
        Assert.All(theirEvents, e => Assert.Equal(other.AccountId, Record(e)["recipientAccountId"]!.GetValue<string>()));
        Assert.Contains(theirEvents, e => e["EventName"]!.GetValue<string>() == "ListFunctions");
        Assert.Empty(await LookupAsync(fixture, "AccessKeyId", other.AccessKeyId));

        using var mine = fixture.Client();
        await CreateRawAsync(mine, "audit-shared", Handler(1));
        var granted = await mine.PostAsync("/2015-03-31/functions/audit-shared/policy",
            new { StatementId = "other", Action = "lambda:GetFunction", Principal = other.AccountId });
        Assert.True(granted.Status == 201, granted.ToString());
        Assert.Equal(200, (await theirs.GetAsync("/2015-03-31/functions/" + Uri.EscapeDataString(Arn("audit-shared")))).Status);

        var inMine = Record((await LookupAsync(fixture, "AccessKeyId", other.AccessKeyId)).Single());
        var inTheirs = Record((await LookupAsync(fixture, "EventName", "GetFunction", other.AccessKeyId, other.SecretAccessKey)).Single());
        Assert.Equal("000000000000", inMine["recipientAccountId"]!.GetValue<string>());
        Assert.Equal(other.AccountId, inTheirs["recipientAccountId"]!.GetValue<string>());
        Assert.Equal(other.AccountId, inMine["userIdentity"]!["accountId"]!.GetValue<string>());
        Assert.Equal(inTheirs["sharedEventID"]!.GetValue<string>(), inMine["sharedEventID"]!.GetValue<string>());
        Assert.NotEqual(inTheirs["eventID"]!.GetValue<string>(), inMine["eventID"]!.GetValue<string>());
    }

    [Fact]
    public async Task LookupEvents_WithoutPermission_IsDeniedAndRecorded()
    {
        using var iam = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", "audit-nosy"))).Status);
        var key = await iam.QueryAsync("CreateAccessKey", ("UserName", "audit-nosy"));
        using var nosy = new AwsClient(new Uri(fixture.Endpoint), key.XmlValue("AccessKeyId")!, key.XmlValue("SecretAccessKey")!, fixture.Region)
        {
            Service = "cloudtrail",
        };
        var response = await Json11Async(nosy, LookupTarget, new JsonObject().ToJsonString());
        Assert.Equal(403, response.Status);
        Assert.Equal("AccessDeniedException", response.Json["__type"]!.GetValue<string>());

        var recorded = Record((await LookupAsync(fixture, "Username", "audit-nosy")).Single());
        Assert.Equal("cloudtrail.amazonaws.com", recorded["eventSource"]!.GetValue<string>());
        Assert.Equal("LookupEvents", recorded["eventName"]!.GetValue<string>());
        Assert.Equal("AccessDeniedException", recorded["errorCode"]!.GetValue<string>());
    }
}
