using System.Text;
using Lamina.Core.Accounts;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.Api;

/// <summary>
/// The IAM and STS query protocol over real HTTP with a raw signed client: the XML shapes botocore
/// parses, the query-protocol errors (authentication ones included), and account isolation.
/// </summary>
public sealed class IamQueryTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private const string IamNs = "https://iam.amazonaws.com/doc/2010-05-08/";
    private const string StsNs = "https://sts.amazonaws.com/doc/2011-06-15/";

    private const string LambdaTrust =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    private AwsClient Iam(string? accessKeyId = null, string? secret = null, string? token = null) =>
        new(new Uri(fixture.Endpoint), accessKeyId ?? fixture.AccessKeyId, secret ?? fixture.SecretAccessKey, fixture.Region, token) { Service = "iam" };

    private AwsClient Sts(string? accessKeyId = null, string? secret = null, string? token = null) =>
        new(new Uri(fixture.Endpoint), accessKeyId ?? fixture.AccessKeyId, secret ?? fixture.SecretAccessKey, fixture.Region, token) { Service = "sts" };

    private static void AssertError(AwsResponse response, int status, string code, string ns = IamNs)
    {
        Assert.True(response.Status == status, response.ToString());
        var xml = response.Xml;
        Assert.Equal("ErrorResponse", xml.Name.LocalName);
        Assert.Equal(ns, xml.Name.NamespaceName);
        Assert.Equal(code, response.XmlValue("Code"));
        Assert.Equal("Sender", response.XmlValue("Type"));
        Assert.Equal(response.Headers["x-amzn-RequestId"], response.XmlValue("RequestId"));
    }

    [Fact]
    public async Task CreateUser_ResponseHasQueryEnvelope()
    {
        using var iam = Iam();
        var response = await iam.QueryAsync("CreateUser", ("UserName", "q-envelope"), ("Path", "/team/"),
            ("Tags.member.1.Key", "env"), ("Tags.member.1.Value", "dev"));

        Assert.Equal(200, response.Status);
        Assert.StartsWith("text/xml", response.Headers["Content-Type"], StringComparison.Ordinal);
        var xml = response.Xml;
        Assert.Equal("CreateUserResponse", xml.Name.LocalName);
        Assert.Equal(IamNs, xml.Name.NamespaceName);
        Assert.Equal(["CreateUserResult", "ResponseMetadata"], xml.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(response.Headers["x-amzn-RequestId"], response.XmlValue("RequestId"));
        Assert.Equal("arn:aws:iam::000000000000:user/team/q-envelope", response.XmlValue("Arn"));
        Assert.Matches("^AIDA[A-Z2-7]{17}$", response.XmlValue("UserId"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", response.XmlValue("CreateDate"));
        Assert.Equal("dev", response.XmlValue("Value"));

        AssertError(await iam.QueryAsync("CreateUser", ("UserName", "Q-ENVELOPE")), 409, "EntityAlreadyExists");
        Assert.Equal(200, (await iam.QueryAsync("DeleteUser", ("UserName", "q-envelope"))).Status);
        AssertError(await iam.QueryAsync("GetUser", ("UserName", "q-envelope")), 404, "NoSuchEntity");
    }

    [Fact]
    public async Task PolicyDocuments_AreUrlEncodedInResponses()
    {
        using var iam = Iam();
        const string Inline = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:Get*","Resource":"*"}]}""";
        var created = await iam.QueryAsync("CreateRole", ("RoleName", "q-encoded"), ("AssumeRolePolicyDocument", LambdaTrust));
        Assert.Equal(200, created.Status);
        Assert.Equal(Uri.EscapeDataString(LambdaTrust), created.XmlValue("AssumeRolePolicyDocument"));
        Assert.Matches("^AROA[A-Z2-7]{17}$", created.XmlValue("RoleId"));
        Assert.Equal("3600", created.XmlValue("MaxSessionDuration"));

        Assert.Equal(200, (await iam.QueryAsync("PutRolePolicy", ("RoleName", "q-encoded"), ("PolicyName", "read"), ("PolicyDocument", Inline))).Status);
        var inline = await iam.QueryAsync("GetRolePolicy", ("RoleName", "q-encoded"), ("PolicyName", "read"));
        Assert.Equal(Uri.EscapeDataString(Inline), inline.XmlValue("PolicyDocument"));
        Assert.Equal(Inline, Uri.UnescapeDataString(inline.XmlValue("PolicyDocument")!));

        var policy = await iam.QueryAsync("CreatePolicy", ("PolicyName", "q-encoded"), ("PolicyDocument", Inline));
        var arn = policy.XmlValue("Arn")!;
        Assert.Matches("^ANPA[A-Z2-7]{17}$", policy.XmlValue("PolicyId"));
        var version = await iam.QueryAsync("GetPolicyVersion", ("PolicyArn", arn), ("VersionId", "v1"));
        Assert.Equal(Uri.EscapeDataString(Inline), version.XmlValue("Document"));
        Assert.Equal("true", version.XmlValue("IsDefaultVersion"));
    }

    [Fact]
    public async Task Lists_UseMemberElementsAndPaginate()
    {
        using var iam = Iam();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", $"q-page-{i}"), ("Path", "/page/"))).Status);
        }

        var first = await iam.QueryAsync("ListUsers", ("PathPrefix", "/page/"), ("MaxItems", "2"));
        Assert.Equal(["q-page-0", "q-page-1"], first.Xml.Descendants().Where(e => e.Name.LocalName == "UserName").Select(e => e.Value));
        Assert.Equal("member", first.Xml.Descendants().First(e => e.Name.LocalName == "Users").Elements().First().Name.LocalName);
        Assert.Equal("true", first.XmlValue("IsTruncated"));
        var second = await iam.QueryAsync("ListUsers", ("PathPrefix", "/page/"), ("MaxItems", "2"), ("Marker", first.XmlValue("Marker")!));
        Assert.Equal(["q-page-2"], second.Xml.Descendants().Where(e => e.Name.LocalName == "UserName").Select(e => e.Value));
        Assert.Equal("false", second.XmlValue("IsTruncated"));

        var aws = await iam.QueryAsync("ListPolicies", ("Scope", "AWS"));
        Assert.Contains("arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess",
            aws.Xml.Descendants().Where(e => e.Name.LocalName == "Arn").Select(e => e.Value));
    }

    [Fact]
    public async Task Validation_WordedAsAws()
    {
        using var iam = Iam();
        var response = await iam.QueryAsync("CreateUser", ("UserName", "bad name"));
        AssertError(response, 400, "ValidationError");
        Assert.Equal(
            @"1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+",
            response.XmlValue("Message"));

        AssertError(await iam.QueryAsync("CreateRole", ("RoleName", "q-malformed"), ("AssumeRolePolicyDocument", "{not json")), 400,
            "MalformedPolicyDocument");
        AssertError(await iam.QueryAsync("UpdateRole", ("RoleName", "q-malformed"), ("MaxSessionDuration", "100")), 400, "ValidationError");
    }

    [Fact]
    public async Task Authentication_FailuresAreQueryErrors()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Endpoint) };
        using var unsigned = await http.PostAsync("/", new StringContent("Action=ListUsers&Version=2010-05-08", Encoding.UTF8,
            "application/x-www-form-urlencoded"));
        var body = await unsigned.Content.ReadAsStringAsync();
        Assert.Equal(403, (int)unsigned.StatusCode);
        Assert.Contains("<Code>MissingAuthenticationToken</Code>", body, StringComparison.Ordinal);
        Assert.Contains(IamNs, body, StringComparison.Ordinal);

        using var unsignedSts = await http.PostAsync("/", new StringContent("Action=GetCallerIdentity&Version=2011-06-15", Encoding.UTF8,
            "application/x-www-form-urlencoded"));
        Assert.Contains(StsNs, await unsignedSts.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var unknownKey = Iam("AKIAUNKNOWNUNKNOWN00", "secret");
        AssertError(await unknownKey.QueryAsync("ListUsers"), 403, "InvalidClientTokenId");

        using var wrongSecret = Iam(fixture.AccessKeyId, "not-the-secret");
        AssertError(await wrongSecret.QueryAsync("ListUsers"), 403, "SignatureDoesNotMatch");

        using var iam = Iam();
        AssertError(await iam.QueryAsync("ListUsers", r => r.Headers.Remove("Authorization"),
            []), 403, "MissingAuthenticationToken");
        AssertError(await iam.QueryAsync("ListUsers", r =>
        {
            var auth = r.Headers.GetValues("Authorization").Single();
            r.Headers.Remove("Authorization");
            r.Headers.TryAddWithoutValidation("Authorization", auth[..auth.IndexOf(", Signature=", StringComparison.Ordinal)]);
        }, []), 403, "IncompleteSignature");
    }

    [Fact]
    public async Task ExpiredSessionToken_IsExpiredTokenError()
    {
        var (keyId, secret, token) = await ExpiredKeys.CreateAsync(fixture);
        using var sts = Sts(keyId, secret, token);
        var response = await sts.QueryAsync("GetCallerIdentity");
        AssertError(response, 403, "ExpiredToken", StsNs);
        Assert.Equal("The security token included in the request is expired", response.XmlValue("Message"));
    }

    [Fact]
    public async Task UnknownActions_InvalidActionAndUnknownOperation()
    {
        using var iam = Iam();
        var response = await iam.QueryAsync("ListTeleporters");
        AssertError(response, 400, "InvalidAction");
        Assert.Equal("Could not find operation ListTeleporters for version 2010-05-08", response.XmlValue("Message"));

        using var sts = Sts();
        AssertError(await sts.QueryAsync("AssumeRoleWithSAML"), 400, "InvalidAction", StsNs);

        using var kms = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "kms" };
        var json = await kms.SendAsync(HttpMethod.Post, "/", "{}", headers: new Dictionary<string, string> { ["X-Amz-Target"] = "TrentService.CreateGrant" },
            contentType: "application/x-amz-json-1.1");
        Assert.Equal(400, json.Status);
        Assert.Equal("UnknownOperationException", json.Json["__type"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetCallerIdentity_Root()
    {
        using var sts = Sts();
        var response = await sts.QueryAsync("GetCallerIdentity");
        Assert.Equal(200, response.Status);
        Assert.Equal(StsNs, response.Xml.Name.NamespaceName);
        Assert.Equal("000000000000", response.XmlValue("UserId"));
        Assert.Equal("000000000000", response.XmlValue("Account"));
        Assert.Equal("arn:aws:iam::000000000000:root", response.XmlValue("Arn"));
    }

    [Fact]
    public async Task Accounts_SeeOnlyTheirOwnIam()
    {
        var (_, other) = await fixture.Server.Services.GetRequiredService<AccountService>().CreateAsync("iam-isolation", null, CancellationToken.None);
        using var mine = Iam();
        using var theirs = Iam(other!.AccessKeyId, other.SecretAccessKey);
        Assert.Equal(200, (await mine.QueryAsync("CreateUser", ("UserName", "q-isolated"))).Status);
        var key = await mine.QueryAsync("CreateAccessKey", ("UserName", "q-isolated"));
        var keyId = key.XmlValue("AccessKeyId")!;
        var policy = await mine.QueryAsync("CreatePolicy", ("PolicyName", "q-isolated"),
            ("PolicyDocument", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"""));
        var policyArn = policy.XmlValue("Arn")!;

        var listed = await theirs.QueryAsync("ListUsers");
        Assert.DoesNotContain("q-isolated", listed.Text, StringComparison.Ordinal);
        AssertError(await theirs.QueryAsync("GetUser", ("UserName", "q-isolated")), 404, "NoSuchEntity");
        AssertError(await theirs.QueryAsync("GetPolicy", ("PolicyArn", policyArn)), 404, "NoSuchEntity");
        Assert.Equal(200, (await theirs.QueryAsync("CreateUser", ("UserName", "q-isolated"))).Status);
        AssertError(await theirs.QueryAsync("AttachUserPolicy", ("UserName", "q-isolated"), ("PolicyArn", policyArn)), 404, "NoSuchEntity");
        AssertError(await theirs.QueryAsync("DeleteAccessKey", ("UserName", "q-isolated"), ("AccessKeyId", keyId)), 404, "NoSuchEntity");
        AssertError(await theirs.QueryAsync("DeleteAccessKey", ("AccessKeyId", keyId)), 404, "NoSuchEntity");
        Assert.Equal(200, (await mine.QueryAsync("GetUser", ("UserName", "q-isolated"))).Status);
        Assert.Single((await mine.QueryAsync("ListAccessKeys", ("UserName", "q-isolated"))).Xml.Descendants(), e => e.Name.LocalName == "AccessKeyId");
    }
}
