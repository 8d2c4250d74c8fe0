using System.Text.Json.Nodes;
using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// IAM and STS through the real AWS CLI, unmodified: the README's least-privilege walk-through (an
/// execution role, a read-only user and its key), AssumeRole with its session credentials, and the
/// errors the CLI reports. The wider surface is covered by boto3 (<see cref="Boto3IamTests"/>).
/// </summary>
public sealed class IamCliTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>, IDisposable
{
    private const string Account = "000000000000";

    private const string LambdaTrust =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-iam-cli");

    public void Dispose() => TempDirs.Delete(_dir);

    private static Dictionary<string, string> As(JsonNode key, string? token = null)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = Str(key["AccessKeyId"]),
            ["AWS_SECRET_ACCESS_KEY"] = Str(key["SecretAccessKey"]),
        };
        if (token is not null)
        {
            env["AWS_SESSION_TOKEN"] = token;
        }

        return env;
    }

    private async Task<JsonNode> JsonWithAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var result = await _cli.RunWithAsync(env, args);
        Assert.True(result.ExitCode == 0, $"aws {string.Join(' ', args)} failed: {result}");
        return JsonNode.Parse(string.IsNullOrWhiteSpace(result.Stdout) ? "{}" : result.Stdout)!;
    }

    [Fact]
    public async Task LeastPrivilege_ReadOnlyUserListsButCannotCreate_RootCan()
    {
        var role = await _cli.JsonAsync("iam", "create-role", "--role-name", "cli-exec", "--assume-role-policy-document", LambdaTrust);
        var roleArn = Str(role["Role"]!["Arn"]);
        Assert.Equal($"arn:aws:iam::{Account}:role/cli-exec", roleArn);
        Assert.Equal("lambda.amazonaws.com", Str(role["Role"]!["AssumeRolePolicyDocument"]!["Statement"]![0]!["Principal"]!["Service"]));
        await _cli.JsonAsync("iam", "attach-role-policy", "--role-name", "cli-exec",
            "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
        var attached = await _cli.JsonAsync("iam", "list-attached-role-policies", "--role-name", "cli-exec");
        Assert.Equal("AWSLambdaBasicExecutionRole", Str(attached["AttachedPolicies"]![0]!["PolicyName"]));

        var user = await _cli.JsonAsync("iam", "create-user", "--user-name", "cli-reader");
        await _cli.JsonAsync("iam", "attach-user-policy", "--user-name", "cli-reader", "--policy-arn", "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess");
        var key = (await _cli.JsonAsync("iam", "create-access-key", "--user-name", "cli-reader"))["AccessKey"]!;
        Assert.Equal("cli-reader", Str(key["UserName"]));
        var reader = As(key);

        var identity = await JsonWithAsync(reader, "sts", "get-caller-identity");
        Assert.Equal($"arn:aws:iam::{Account}:user/cli-reader", Str(identity["Arn"]));
        Assert.Equal(Str(user["User"]!["UserId"]), Str(identity["UserId"]));

        var code = FileB(_dir, "fn.zip", Handler(1));
        var created = await _cli.JsonAsync("lambda", "create-function", "--function-name", "cli-iam-fn", "--runtime", Runtime, "--role", roleArn,
            "--handler", "index.handler", "--zip-file", code);
        Assert.Equal(Arn("cli-iam-fn"), Str(created["FunctionArn"]));
        var listed = await JsonWithAsync(reader, "lambda", "list-functions");
        Assert.Contains(listed["Functions"]!.AsArray(), f => Str(f!["FunctionName"]) == "cli-iam-fn");

        var denied = await _cli.ErrorWithAsync(reader, "lambda", "create-function", "--function-name", "cli-iam-denied", "--runtime", Runtime,
            "--role", roleArn, "--handler", "index.handler", "--zip-file", code);
        Assert.Equal("AccessDeniedException", denied.Code);
        Assert.StartsWith($"User: arn:aws:iam::{Account}:user/cli-reader is not authorized to perform: lambda:CreateFunction", denied.Message,
            StringComparison.Ordinal);
        var iamDenied = await _cli.ErrorWithAsync(reader, "iam", "create-user", "--user-name", "cli-escalate");
        Assert.Equal(new CliError("AccessDenied", "CreateUser", iamDenied.Message), iamDenied);

        Assert.Equal("DeleteConflict", (await _cli.ErrorAsync("iam", "delete-user", "--user-name", "cli-reader")).Code);
        Assert.Equal(new CliError("EntityAlreadyExists", "CreateUser", "User with name cli-reader already exists."),
            await _cli.ErrorAsync("iam", "create-user", "--user-name", "cli-reader"));
        Assert.Equal(new CliError("NoSuchEntity", "GetRole", "The role with name cli-nope cannot be found."),
            await _cli.ErrorAsync("iam", "get-role", "--role-name", "cli-nope"));
    }

    [Fact]
    public async Task AssumeRole_SessionCredentialsWorkAndExpireAsAsked()
    {
        await _cli.JsonAsync("iam", "create-user", "--user-name", "cli-assumer");
        var key = (await _cli.JsonAsync("iam", "create-access-key", "--user-name", "cli-assumer"))["AccessKey"]!;
        var trust = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{Account}}:root"},"Action":"sts:AssumeRole"}]}""";
        var role = await _cli.JsonAsync("iam", "create-role", "--role-name", "cli-deployer", "--assume-role-policy-document", trust);
        var roleArn = Str(role["Role"]!["Arn"]);
        await _cli.JsonAsync("iam", "put-role-policy", "--role-name", "cli-deployer", "--policy-name", "list",
            "--policy-document", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:ListFunctions","Resource":"*"}]}""");
        var inline = await _cli.JsonAsync("iam", "get-role-policy", "--role-name", "cli-deployer", "--policy-name", "list");
        Assert.Equal("lambda:ListFunctions", Str(inline["PolicyDocument"]!["Statement"]![0]!["Action"]));

        // The trust policy names only the account: the user's own policy must allow sts:AssumeRole too.
        var refused = await _cli.ErrorWithAsync(As(key), "sts", "assume-role", "--role-arn", roleArn, "--role-session-name", "cli");
        Assert.Equal("AccessDenied", refused.Code);
        await _cli.JsonAsync("iam", "put-user-policy", "--user-name", "cli-assumer", "--policy-name", "assume",
            "--policy-document", $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{{roleArn}}"}]}""");

        var before = DateTimeOffset.UtcNow;
        var session = await JsonWithAsync(As(key), "sts", "assume-role", "--role-arn", roleArn, "--role-session-name", "cli",
            "--duration-seconds", "900");
        var expiration = DateTimeOffset.Parse(Str(session["Credentials"]!["Expiration"]), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiration - before, TimeSpan.FromSeconds(840), TimeSpan.FromSeconds(960));
        Assert.Equal($"arn:aws:sts::{Account}:assumed-role/cli-deployer/cli", Str(session["AssumedRoleUser"]!["Arn"]));
        var roleId = Str(role["Role"]!["RoleId"]);
        Assert.Equal($"{roleId}:cli", Str(session["AssumedRoleUser"]!["AssumedRoleId"]));

        var asRole = As(session["Credentials"]!, Str(session["Credentials"]!["SessionToken"]));
        var identity = await JsonWithAsync(asRole, "sts", "get-caller-identity");
        Assert.Equal($"arn:aws:sts::{Account}:assumed-role/cli-deployer/cli", Str(identity["Arn"]));
        Assert.Equal($"{roleId}:cli", Str(identity["UserId"]));
        await JsonWithAsync(asRole, "lambda", "list-functions");
        Assert.Equal("AccessDeniedException", (await _cli.ErrorWithAsync(asRole, "lambda", "get-account-settings")).Code);

        Assert.Equal(new CliError("ValidationError", "AssumeRole", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
            await _cli.ErrorWithAsync(As(key), "sts", "assume-role", "--role-arn", roleArn, "--role-session-name", "cli", "--duration-seconds", "7200"));
        Assert.Equal("MalformedPolicyDocument",
            (await _cli.ErrorAsync("iam", "create-role", "--role-name", "cli-bad", "--assume-role-policy-document", "{not json")).Code);

        var wrongToken = await _cli.ErrorWithAsync(
            new Dictionary<string, string>(asRole) { ["AWS_SESSION_TOKEN"] = "not-the-token" }, "sts", "get-caller-identity");
        Assert.Equal("InvalidClientTokenId", wrongToken.Code);
        var (keyId, secret, token) = await ExpiredKeys.CreateAsync(fixture);
        var expired = await _cli.ErrorWithAsync(new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = keyId,
            ["AWS_SECRET_ACCESS_KEY"] = secret,
            ["AWS_SESSION_TOKEN"] = token,
        }, "sts", "get-caller-identity");
        Assert.Equal(new CliError("ExpiredToken", "GetCallerIdentity", "The security token included in the request is expired"), expired);
    }
}
