using System.Text.Json.Nodes;
using Lamina.Tests.Support;
using static Lamina.Tests.E2e.AuthorizationFixture;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// Who may do what, through the real AWS CLI, across the API groups: the Lambda control plane
/// (GetFunction, UpdateFunctionConfiguration, CreateFunction), the data plane (Invoke), layers
/// (GetLayerVersion), IAM (ListRoles) and STS (GetCallerIdentity); authentication failures also against KMS (ListKeys). Each row is one CLI run and the exact
/// error code and message the CLI reports (botocore's parse of the wire error), or success.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationFixture fixture) : IClassFixture<AuthorizationFixture>, IDisposable
{
    private const string AccountA = "000000000000";

    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-authz");

    public void Dispose() => TempDirs.Delete(_dir);

    /// <summary>An expected outcome: success (null error), or an error whose message is exact or, for IAM's, a prefix.</summary>
    private sealed record Row(string Who, string[] Args, CliError? Error, bool MessageIsPrefix = false);

    private static string User(string name) => $"arn:aws:iam::{AccountA}:user/{name}";

    private static CliError Denied(string operation, string principal, string action, string resource, string reason = "no identity-based policy allows") =>
        new("AccessDeniedException", operation,
            $"User: {principal} is not authorized to perform: {action} on resource: {resource} " +
            (reason.StartsWith("with", StringComparison.Ordinal) ? reason : $"because {reason} the {action} action"));

    private const string ExplicitDeny = "with an explicit deny in an identity-based policy";

    private static string[] GetFunction(string function) => ["lambda", "get-function", "--function-name", function];

    private string[] Invoke(string function) => AwsCli.InvokeArgs(function, new { action = "echo" }, Path.Combine(_dir, Guid.NewGuid().ToString("N")));

    private static string[] Update(string function) => ["lambda", "update-function-configuration", "--function-name", function, "--description", "changed"];

    private string[] Create(string name) =>
    [
        "lambda", "create-function", "--function-name", name, "--runtime", "provided.al2023", "--role", Role, "--handler", "x",
        "--zip-file", FileB(_dir, name + ".zip", TestRuntime.Zip()),
    ];

    private static readonly string[] GetLayer = ["lambda", "get-layer-version", "--layer-name", Layer, "--version-number", "1"];
    private static readonly string[] ListRoles = ["iam", "list-roles"];
    private static readonly string[] CallerIdentity = ["sts", "get-caller-identity"];
    private static readonly string[] ListKeys = ["kms", "list-keys"];

    /// <summary>Runs the rows three at a time and reports every mismatch at once.</summary>
    private async Task<List<ProcessResult>> CheckAsync(params Row[] rows)
    {
        var mismatches = new List<string>();
        var outputs = new List<ProcessResult>();
        foreach (var chunk in rows.Chunk(3))
        {
            var results = await Task.WhenAll(chunk.Select(row => RunAsync(row.Who, row.Args)));
            for (var i = 0; i < chunk.Length; i++)
            {
                var (row, result) = (chunk[i], results[i]);
                outputs.Add(result);
                var label = $"{row.Who}: aws {string.Join(' ', row.Args.Take(3))}";
                if (row.Error is null)
                {
                    if (result.ExitCode != 0)
                    {
                        mismatches.Add($"{label} should succeed: {result.Stderr.Trim()}");
                    }

                    continue;
                }

                if (result.ExitCode == 0)
                {
                    mismatches.Add($"{label} should fail with {row.Error.Code} but succeeded");
                    continue;
                }

                var actual = AwsCli.ParseError(result, row.Args);
                var same = actual.Code == row.Error.Code && actual.Operation == row.Error.Operation &&
                           (row.MessageIsPrefix ? actual.Message.StartsWith(row.Error.Message, StringComparison.Ordinal) : actual.Message == row.Error.Message);
                if (!same)
                {
                    mismatches.Add($"{label}\n  expected {row.Error}\n  actual   {actual}");
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        return outputs;
    }

    private async Task<ProcessResult> RunAsync(string who, string[] args)
    {
        switch (who)
        {
            case "anonymous":
                return await _cli.RunAsync([.. args, "--no-sign-request"]);
            case "bad-signature":
                return await _cli.RunWithAsync(new Dictionary<string, string>
                {
                    ["AWS_ACCESS_KEY_ID"] = fixture.AccessKeyId,
                    ["AWS_SECRET_ACCESS_KEY"] = "not-the-secret",
                }, args);
            case "unknown-key":
                return await _cli.RunWithAsync(new Dictionary<string, string>
                {
                    ["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNKEY000000",
                    ["AWS_SECRET_ACCESS_KEY"] = "secret",
                }, args);
            case "expired":
                var (keyId, secret, token) = await ExpiredKeys.CreateAsync(fixture);
                return await _cli.RunWithAsync(new Dictionary<string, string>
                {
                    ["AWS_ACCESS_KEY_ID"] = keyId,
                    ["AWS_SECRET_ACCESS_KEY"] = secret,
                    ["AWS_SESSION_TOKEN"] = token,
                }, args);
            default:
                return await _cli.RunWithAsync(fixture.Keys[who], args);
        }
    }

    /// <summary>Credentials that fail authentication, each in its own way, as a boto3 client would be configured.</summary>
    private async Task<Dictionary<string, Dictionary<string, string?>>> FailingCredentialsAsync()
    {
        var (keyId, secret, token) = await ExpiredKeys.CreateAsync(fixture);
        return new()
        {
            ["anonymous"] = new() { ["unsigned"] = "1" },
            ["bad-signature"] = new() { ["aws_access_key_id"] = fixture.AccessKeyId, ["aws_secret_access_key"] = "not-the-secret" },
            ["unknown-key"] = new() { ["aws_access_key_id"] = "AKIAUNKNOWNKEY000000", ["aws_secret_access_key"] = "secret" },
            ["expired"] = new() { ["aws_access_key_id"] = keyId, ["aws_secret_access_key"] = secret, ["aws_session_token"] = token },
        };
    }

    [Fact]
    public async Task Authentication_EachFailure_InEachApiGroup_ErrorAsBotocoreExpectsIt()
    {
        const string BadSignature = "The request signature we calculated does not match the signature you provided. " +
                                    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
        // Lambda (REST-JSON) and KMS (JSON) name these errors with an "Exception" suffix; IAM and STS (query protocol) without.
        var expected = new Dictionary<string, (string Lambda, string Query, string Message, string QueryMessage)>
        {
            ["anonymous"] = ("MissingAuthenticationTokenException", "MissingAuthenticationToken", "Missing Authentication Token",
                "Request is missing Authentication Token"),
            ["bad-signature"] = ("InvalidSignatureException", "SignatureDoesNotMatch", BadSignature, BadSignature),
            ["unknown-key"] = ("UnrecognizedClientException", "InvalidClientTokenId", "The security token included in the request is invalid.",
                "The security token included in the request is invalid."),
            ["expired"] = ("ExpiredTokenException", "ExpiredToken", "The security token included in the request is expired",
                "The security token included in the request is expired"),
        };

        // Every failure against every API group in one boto3 process (botocore is also what parses errors for
        // the CLI; here the HTTP status is visible too).
        const string Script = """
            import boto3, json, sys
            from botocore import UNSIGNED
            from botocore.config import Config
            from botocore.exceptions import ClientError
            credentials, function, layer = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
            calls = [
                ('lambda', 'GetFunction', lambda c: c.get_function(FunctionName=function)),
                ('lambda', 'Invoke', lambda c: c.invoke(FunctionName=function, Payload=b'{}')),
                ('lambda', 'GetLayerVersion', lambda c: c.get_layer_version(LayerName=layer, VersionNumber=1)),
                ('kms', 'ListKeys', lambda c: c.list_keys()),
                ('iam', 'ListRoles', lambda c: c.list_roles()),
                ('sts', 'GetCallerIdentity', lambda c: c.get_caller_identity()),
            ]
            rows = []
            for who, creds in credentials.items():
                config = Config(retries={'max_attempts': 1}, signature_version=UNSIGNED if creds.pop('unsigned', None) else None)
                for service, operation, call in calls:
                    try:
                        call(boto3.client(service, config=config, **creds))
                        rows.append({'who': who, 'operation': operation, 'status': 200})
                    except ClientError as e:
                        rows.append({'who': who, 'operation': operation, 'status': e.response['ResponseMetadata']['HTTPStatusCode'],
                                     'code': e.response['Error']['Code'], 'message': e.response['Error']['Message']})
            print(json.dumps(rows))
            """;
        var env = new Dictionary<string, string>(fixture.ClientEnvironment) { ["PYTHONUNBUFFERED"] = "1" };
        env.Remove("AWS_ACCESS_KEY_ID");
        env.Remove("AWS_SECRET_ACCESS_KEY");
        env.Remove("AWS_SHARED_CREDENTIALS_FILE");
        var credentials = System.Text.Json.JsonSerializer.Serialize(await FailingCredentialsAsync());
        var run = await ProcessRunner.RunAsync("python3", ["-", credentials, Function, Layer], env, stdin: Script.Replace("\r", "", StringComparison.Ordinal));
        Assert.True(run.ExitCode == 0, run.ToString());

        var rows = JsonNode.Parse(run.Stdout)!.AsArray();
        Assert.Equal(expected.Count * 6, rows.Count);
        var mismatches = new List<string>();
        foreach (var row in rows)
        {
            var (who, operation) = (Str(row!["who"]), Str(row["operation"]));
            var query = operation is "ListRoles" or "GetCallerIdentity";
            var e = expected[who];
            var want = $"403 {(query ? e.Query : e.Lambda)}: {(query ? e.QueryMessage : e.Message)}";
            var got = $"{row["status"]} {row["code"]?.GetValue<string>()}: {row["message"]?.GetValue<string>()}";
            if (want != got)
            {
                mismatches.Add($"{who} {operation}\n  expected {want}\n  actual   {got}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));

        // The CLI reports the same, one failure per API group (the full matrix above is the same botocore parse).
        await CheckAsync(
            new Row("anonymous", Invoke(Function), new CliError(expected["anonymous"].Lambda, "Invoke", expected["anonymous"].Message)),
            new Row("bad-signature", GetLayer, new CliError(expected["bad-signature"].Lambda, "GetLayerVersion", BadSignature)),
            new Row("unknown-key", ListRoles, new CliError(expected["unknown-key"].Query, "ListRoles", expected["unknown-key"].QueryMessage)),
            new Row("expired", CallerIdentity, new CliError(expected["expired"].Query, "GetCallerIdentity", expected["expired"].QueryMessage)),
            new Row("anonymous", ["sts", "get-caller-identity"], new CliError(expected["anonymous"].Query, "GetCallerIdentity", expected["anonymous"].QueryMessage)),
            new Row("expired", GetFunction(Function), new CliError(expected["expired"].Lambda, "GetFunction", expected["expired"].Message)));
    }

    [Fact]
    public async Task IdentityPolicy_AllowsWhatItLists_NoPolicyAllowsOnlyGetCallerIdentity()
    {
        string alice = User("alice"), nobody = User("nobody");
        var outputs = await CheckAsync(
            new Row("alice", GetFunction(Function), null),
            new Row("alice", Update(Function), null),
            new Row("alice", Invoke(Function), null),
            new Row("alice", Create("authz-created-alice"), null),
            new Row("alice", GetLayer, null),
            new Row("alice", ListRoles, null),
            new Row("alice", CallerIdentity, null),
            new Row("alice", ListKeys, null),
            // Not in her policy: another function, another action.
            new Row("alice", GetFunction(Other), Denied("GetFunction", alice, "lambda:GetFunction", Arn(Other))),
            new Row("alice", ["lambda", "delete-function", "--function-name", Function],
                Denied("DeleteFunction", alice, "lambda:DeleteFunction", Arn(Function))),
            new Row("nobody", GetFunction(Function), Denied("GetFunction", nobody, "lambda:GetFunction", Arn(Function))),
            new Row("nobody", Update(Function), Denied("UpdateFunctionConfiguration", nobody, "lambda:UpdateFunctionConfiguration", Arn(Function))),
            new Row("nobody", Invoke(Function), Denied("Invoke", nobody, "lambda:InvokeFunction", Arn(Function))),
            new Row("nobody", Create("authz-created-nobody"), Denied("CreateFunction", nobody, "lambda:CreateFunction", Arn("authz-created-nobody"))),
            new Row("nobody", GetLayer, Denied("GetLayerVersion", nobody, "lambda:GetLayerVersion", LayerArn(Layer, 1))),
            new Row("nobody", ListRoles,
                new CliError("AccessDenied", "ListRoles", $"User: {nobody} is not authorized to perform: iam:ListRoles"), MessageIsPrefix: true),
            new Row("nobody", ListKeys, Denied("ListKeys", nobody, "kms:ListKeys", "*")),
            new Row("nobody", CallerIdentity, null));

        Assert.Equal(nobody, Str(JsonNode.Parse(outputs[^1].Stdout)!["Arn"]));
        Assert.Equal(alice, Str(JsonNode.Parse(outputs[6].Stdout)!["Arn"]));
        Assert.Equal("changed", Str(JsonNode.Parse(outputs[1].Stdout)!["Description"]));
    }

    [Fact]
    public async Task ExplicitDeny_BeatsAdministratorAccessAndAResourcePolicyGrant()
    {
        var mallory = User("mallory");
        await CheckAsync(
            // AdministratorAccess works where nothing denies...
            new Row("mallory", ["lambda", "list-functions"], null),
            new Row("mallory", GetFunction(Other), Denied("GetFunction", mallory, "lambda:GetFunction", Arn(Other), ExplicitDeny)),
            new Row("mallory", Update(Function), Denied("UpdateFunctionConfiguration", mallory, "lambda:UpdateFunctionConfiguration", Arn(Function), ExplicitDeny)),
            // ...and authz-fn's policy grants her Invoke by name: the deny still wins.
            new Row("mallory", Invoke(Function), Denied("Invoke", mallory, "lambda:InvokeFunction", Arn(Function), ExplicitDeny)),
            new Row("mallory", Create("authz-created-mallory"), Denied("CreateFunction", mallory, "lambda:CreateFunction", Arn("authz-created-mallory"), ExplicitDeny)),
            new Row("mallory", GetLayer, Denied("GetLayerVersion", mallory, "lambda:GetLayerVersion", LayerArn(Layer, 1), ExplicitDeny)),
            new Row("mallory", ListRoles, new CliError("AccessDenied", "ListRoles", $"User: {mallory} is not authorized to perform: iam:ListRoles"),
                MessageIsPrefix: true),
            new Row("mallory", ListKeys, Denied("ListKeys", mallory, "kms:ListKeys", "*", ExplicitDeny)),
            // AWS: "you can still perform this operation" even when a policy explicitly denies sts:GetCallerIdentity.
            new Row("mallory", CallerIdentity, null));
    }

    [Fact]
    public async Task ResourcePolicyOnly_SameAccountUserMayInvoke_ButNothingElse()
    {
        var carol = User("carol");
        await CheckAsync(
            new Row("carol", Invoke(Function), null),
            new Row("carol", Invoke(Other), Denied("Invoke", carol, "lambda:InvokeFunction", Arn(Other))),
            new Row("carol", GetFunction(Function), Denied("GetFunction", carol, "lambda:GetFunction", Arn(Function))));
    }

    [Fact]
    public async Task Conditions_NotMetDeny_MetAllow()
    {
        var dave = User("dave");
        await CheckAsync(
            // aws:SourceIp 10.0.0.0/8: the CLI calls from 127.0.0.1.
            new Row("dave", GetFunction(Function), Denied("GetFunction", dave, "lambda:GetFunction", Arn(Function))),
            new Row("dave", Invoke(Function), Denied("Invoke", dave, "lambda:InvokeFunction", Arn(Function))),
            // aws:SourceIp 127.0.0.0/8 is met.
            new Row("dave", Invoke(Other), null),
            // lambda:FunctionArn names authz-other only.
            new Row("dave", GetFunction(Other), null),
            // aws:RequestedRegion eu-west-1: this server is us-east-1.
            new Row("dave", ListRoles, new CliError("AccessDenied", "ListRoles", $"User: {dave} is not authorized to perform: iam:ListRoles"),
                MessageIsPrefix: true),
            // aws:PrincipalTag/team = blue: dave is tagged team=blue.
            new Row("dave", GetLayer, null));
    }

    [Fact]
    public async Task CrossAccount_ResourcePolicyAndCallerIdentityBothNeeded()
    {
        var root = $"arn:aws:iam::{fixture.AccountB}:root";
        var erin = $"arn:aws:iam::{fixture.AccountB}:user/erin";
        // An organization-scoped grant: Lamina has no AWS Organizations, so aws:PrincipalOrgID is never in a
        // request and such a grant never matches (it fails closed).
        var org = await _cli.RunAsync("lambda", "add-permission", "--function-name", Other, "--statement-id", "org", "--action", "lambda:InvokeFunction",
            "--principal", "*", "--principal-org-id", "o-a1b2c3d4e5");
        Assert.True(org.ExitCode == 0, org.ToString());
        // A key in account A, which account B's ListKeys must not show.
        var keyId = Str((await _cli.JsonAsync("kms", "create-key", "--description", "authz-a"))["KeyMetadata"]!["KeyId"]);

        var outputs = await CheckAsync(
            new Row("b-root", GetFunction(Arn(Function)),
                Denied("GetFunction", root, "lambda:GetFunction", Arn(Function), "no resource-based policy allows")),
            new Row("b-root", Invoke(Arn(Function)), Denied("Invoke", root, "lambda:InvokeFunction", Arn(Function), "no resource-based policy allows")),
            new Row("b-root", Invoke(Arn(Shared)), null),
            new Row("b-root", GetFunction(Arn(Shared)), null),
            new Row("b-root", Update(Arn(Shared)),
                Denied("UpdateFunctionConfiguration", root, "lambda:UpdateFunctionConfiguration", Arn(Shared), "no resource-based policy allows")),
            new Row("b-root", Invoke(Arn(Other)), Denied("Invoke", root, "lambda:InvokeFunction", Arn(Other), "no resource-based policy allows")),
            new Row("b-root", ["lambda", "get-layer-version-by-arn", "--arn", LayerArn(Layer, 1)], null),
            // Account B's own user has no policy: A's grant to account B does not reach it.
            new Row("b-user", Invoke(Arn(Shared)), Denied("Invoke", erin, "lambda:InvokeFunction", Arn(Shared))),
            new Row("b-root", ListRoles, null),
            new Row("b-root", CallerIdentity, null),
            new Row("b-root", ListKeys, null));

        Assert.DoesNotContain(JsonNode.Parse(outputs[8].Stdout)!["Roles"]!.AsArray(), r => Str(r!["Arn"]).Contains(AccountA, StringComparison.Ordinal));
        Assert.Equal(fixture.AccountB, Str(JsonNode.Parse(outputs[9].Stdout)!["Account"]));
        Assert.DoesNotContain(JsonNode.Parse(outputs[10].Stdout)!["Keys"]!.AsArray(), k => Str(k!["KeyId"]) == keyId);
    }

    [Fact]
    public async Task FunctionCode_CallsLambdaWithItsRoleCredentials_AllowedOnlyByTheRolePolicy_AuditedAsTheRoleSession()
    {
        // The bundled @aws-sdk/client-lambda, configured only by the environment Lamina injects
        // (AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL_LAMBDA).
        const string Handler = """
            const { LambdaClient, GetFunctionCommand } = require('@aws-sdk/client-lambda');
            const lambda = new LambdaClient({});
            exports.handler = async (event) => {
              try {
                const out = await lambda.send(new GetFunctionCommand({ FunctionName: event.target ?? process.env.AWS_LAMBDA_FUNCTION_NAME }));
                return { ok: true, arn: out.Configuration.FunctionArn, role: out.Configuration.Role };
              } catch (e) {
                return { ok: false, name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
              }
            };
            """;
        var runtime = MatrixFunctions.Runtime(fixture, "nodejs");
        var code = FileB(_dir, "self.zip", Zips.Of(("index.js", Handler)));
        await Task.WhenAll(new[] { ("authz-self-reader", "authz-reader"), ("authz-self-blind", "authz-blind") }.Select(f => _cli.JsonAsync(
            "lambda", "create-function", "--function-name", f.Item1, "--runtime", runtime, "--handler", "index.handler",
            "--role", $"arn:aws:iam::{AccountA}:role/{f.Item2}", "--zip-file", code, "--timeout", "30")));

        var results = await Task.WhenAll(
            _cli.InvokeAsync("authz-self-reader", new { }),
            _cli.InvokeAsync("authz-self-reader", new { target = Function }),
            _cli.InvokeAsync("authz-self-blind", new { }));

        var allowed = results[0].Json;
        Assert.True(allowed["ok"]!.GetValue<bool>(), results[0].ToString());
        Assert.Equal(Arn("authz-self-reader"), Str(allowed["arn"]));
        Assert.Equal($"arn:aws:iam::{AccountA}:role/authz-reader", Str(allowed["role"]));

        // The role's policy covers authz-self-* only; the session is named after the function, as on AWS.
        var session = $"arn:aws:sts::{AccountA}:assumed-role/authz-reader/authz-self-reader";
        AssertDenied(results[1], Denied("GetFunction", session, "lambda:GetFunction", Arn(Function)));
        AssertDenied(results[2], Denied("GetFunction", $"arn:aws:sts::{AccountA}:assumed-role/authz-blind/authz-self-blind",
            "lambda:GetFunction", Arn("authz-self-blind")));

        // The audit trail names who called: the function's role session, issued by its execution role, once allowed
        // (on itself) and once denied (on authz-fn); the blind function's one call, denied.
        var audited = (await _cli.JsonAsync("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=Username,AttributeValue=authz-self-reader"))
            ["Events"]!.AsArray().Select(e => JsonNode.Parse(Str(e!["CloudTrailEvent"]))!).ToList();
        Assert.Equal(2, audited.Count);
        Assert.All(audited, record =>
        {
            Assert.Equal("GetFunction", Str(record["eventName"]));
            Assert.Equal("AssumedRole", Str(record["userIdentity"]!["type"]));
            Assert.Equal(session, Str(record["userIdentity"]!["arn"]));
            Assert.Equal($"arn:aws:iam::{AccountA}:role/authz-reader", Str(record["userIdentity"]!["sessionContext"]!["sessionIssuer"]!["arn"]));
        });
        var byTarget = audited.ToDictionary(r => Str(r["requestParameters"]!["functionName"]), r => r["errorCode"]?.GetValue<string>());
        Assert.Equal(new Dictionary<string, string?> { ["authz-self-reader"] = null, [Function] = "AccessDeniedException" }, byTarget);
        var blind = (await _cli.JsonAsync("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=Username,AttributeValue=authz-self-blind"))
            ["Events"]!.AsArray().Select(e => JsonNode.Parse(Str(e!["CloudTrailEvent"]))!).Single();
        Assert.Equal($"arn:aws:sts::{AccountA}:assumed-role/authz-blind/authz-self-blind", Str(blind["userIdentity"]!["arn"]));
        Assert.Equal("AccessDeniedException", Str(blind["errorCode"]));

        static void AssertDenied(CliInvoke result, CliError expected)
        {
            Assert.True(result.FunctionError is null, result.ToString());
            var payload = result.Json;
            Assert.False(payload["ok"]!.GetValue<bool>(), result.ToString());
            Assert.Equal(expected.Code, Str(payload["name"]));
            Assert.Equal(403, payload["status"]!.GetValue<int>());
            Assert.Equal(expected.Message, Str(payload["message"]));
        }
    }
}
