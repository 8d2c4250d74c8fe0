using Lamina.Core.Accounts;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// The cast of <see cref="AuthorizationMatrixTests"/>, set up once over raw signed HTTP (the set-up is not
/// under test): two functions and a layer in the default account, users whose policies allow, deny, say
/// nothing or carry conditions, a resource-policy-only user, a second account with a user of its own, and
/// execution roles with and without <c>lambda:GetFunction</c>.
/// </summary>
public sealed class AuthorizationFixture : LaminaFixture
{
    public const string Function = "authz-fn";
    public const string Other = "authz-other";
    public const string Shared = "authz-shared";
    public const string Layer = "authz-layer";

    /// <summary>Credentials as environment variables for the CLI, by user name (default account) or <c>b-root</c>/<c>b-user</c>.</summary>
    public Dictionary<string, IReadOnlyDictionary<string, string>> Keys { get; } = [];

    public string AccountB { get; private set; } = "";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await TestRoles.EnsureLambdaRoleAsync(Server, name: "authz-reader", inlinePolicy: Policy("Allow", "lambda:GetFunction",
            "arn:aws:lambda:us-east-1:000000000000:function:authz-self-*"));
        await TestRoles.EnsureLambdaRoleAsync(Server, name: "authz-blind");

        using var lambda = Client();
        foreach (var name in new[] { Function, Other, Shared })
        {
            var created = await lambda.PostAsync("/2015-03-31/functions", TestRuntime.CreateRequest(name));
            Assert.True(created.Status == 201, created.ToString());
        }

        var layer = await lambda.PostAsync($"/2018-10-31/layers/{Layer}/versions",
            new { Content = new { ZipFile = Convert.ToBase64String(Zips.Of(("python/x.py", "X = 1\n"))) } });
        Assert.True(layer.Status == 201, layer.ToString());

        var (_, b) = await Server.Services.GetRequiredService<AccountService>().CreateAsync("authz-b", null, CancellationToken.None);
        AccountB = b!.AccountId;
        Keys["b-root"] = Env(b.AccessKeyId, b.SecretAccessKey);

        var fn = Arn(Function);
        var allowAll = $$"""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["lambda:GetFunction","lambda:UpdateFunctionConfiguration","lambda:InvokeFunction"],"Resource":"{{fn}}"},
              {"Effect":"Allow","Action":"lambda:CreateFunction","Resource":"{{Arn("authz-created-*")}}"},
              {"Effect":"Allow","Action":"iam:PassRole","Resource":"{{Role}}"},
              {"Effect":"Allow","Action":"lambda:GetLayerVersion","Resource":"{{LayerArn(Layer, 1)}}"},
              {"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"},
              {"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}
            """;
        var denyAll = $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["lambda:GetFunction","lambda:UpdateFunctionConfiguration",
              "lambda:InvokeFunction","lambda:CreateFunction","lambda:GetLayerVersion","iam:ListRoles","kms:ListKeys","sts:GetCallerIdentity"],"Resource":"*"}]}
            """;
        var conditional = $$"""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["lambda:GetFunction","lambda:InvokeFunction"],"Resource":"{{fn}}","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"} } },
              {"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"{{Arn(Other)}}","Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]} } },
              {"Effect":"Allow","Action":"lambda:GetFunction","Resource":"*","Condition":{"StringEquals":{"lambda:FunctionArn":"{{Arn(Other)}}"} } },
              {"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"} } },
              {"Effect":"Allow","Action":"lambda:GetLayerVersion","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"} } }]}
            """;
        using var iam = Iam(AccessKeyId, SecretAccessKey);
        Keys["alice"] = await UserAsync(iam, "alice", inline: allowAll);
        Keys["nobody"] = await UserAsync(iam, "nobody");
        Keys["mallory"] = await UserAsync(iam, "mallory", inline: denyAll, managed: "arn:aws:iam::aws:policy/AdministratorAccess");
        Keys["carol"] = await UserAsync(iam, "carol");
        Keys["dave"] = await UserAsync(iam, "dave", inline: conditional, tag: ("team", "blue"));
        using var iamB = Iam(b.AccessKeyId, b.SecretAccessKey);
        Keys["b-user"] = await UserAsync(iamB, "erin");

        // Resource policies: carol (same account) may invoke authz-fn through it alone, and so may mallory,
        // whose own deny must still win; account B may invoke and read authz-shared and read layer version 1.
        await GrantAsync(lambda, Function, "carol", "lambda:InvokeFunction", "arn:aws:iam::000000000000:user/carol");
        await GrantAsync(lambda, Function, "mallory", "lambda:InvokeFunction", "arn:aws:iam::000000000000:user/mallory");
        await GrantAsync(lambda, Shared, "b-invoke", "lambda:InvokeFunction", AccountB);
        await GrantAsync(lambda, Shared, "b-read", "lambda:GetFunction", AccountB);
        var layerGrant = await lambda.PostAsync($"/2018-10-31/layers/{Layer}/versions/1/policy",
            new { StatementId = "b-layer", Action = "lambda:GetLayerVersion", Principal = AccountB });
        Assert.True(layerGrant.Status == 201, layerGrant.ToString());
    }

    public static string Policy(string effect, string action, string resource) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"{{effect}}","Action":"{{action}}","Resource":"{{resource}}"}]}""";

    private static Dictionary<string, string> Env(string accessKeyId, string secret) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = accessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = secret,
    };

    private AwsClient Iam(string accessKeyId, string secret) => new(new Uri(Endpoint), accessKeyId, secret, Region) { Service = "iam" };

    private static async Task<Dictionary<string, string>> UserAsync(AwsClient iam, string name, string? inline = null, string? managed = null,
        (string Key, string Value)? tag = null)
    {
        var members = new List<(string, string)> { ("UserName", name) };
        if (tag is { } t)
        {
            members.AddRange([("Tags.member.1.Key", t.Key), ("Tags.member.1.Value", t.Value)]);
        }

        await OkAsync(iam.QueryAsync("CreateUser", [.. members]));
        if (inline is not null)
        {
            await OkAsync(iam.QueryAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "inline"), ("PolicyDocument", inline)));
        }

        if (managed is not null)
        {
            await OkAsync(iam.QueryAsync("AttachUserPolicy", ("UserName", name), ("PolicyArn", managed)));
        }

        var key = await OkAsync(iam.QueryAsync("CreateAccessKey", ("UserName", name)));
        return Env(key.XmlValue("AccessKeyId")!, key.XmlValue("SecretAccessKey")!);
    }

    private static async Task<AwsResponse> OkAsync(Task<AwsResponse> call)
    {
        var response = await call;
        Assert.True(response.Status == 200, response.ToString());
        return response;
    }

    private static async Task GrantAsync(AwsClient lambda, string function, string sid, string action, string principal)
    {
        var granted = await lambda.PostAsync($"/2015-03-31/functions/{function}/policy", new { StatementId = sid, Action = action, Principal = principal });
        Assert.True(granted.Status == 201, granted.ToString());
    }
}
