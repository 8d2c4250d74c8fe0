using System.Text.Json.Nodes;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;
using Lamina.Core.Invoke;
using Lamina.Core.Kms;
using Lamina.Core.Storage;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.DataPlane;

/// <summary>
/// Environment variables sealed under KMS keys through real sandboxes: the function's KMSKeyArn or the account's
/// alias/aws/lambda key, checked at configuration, opened at each cold start with Lambda's 502 errors when the key
/// cannot be used, shown to readers who may decrypt, and the pre-KMS format still read.
/// </summary>
public sealed class KmsEnvironmentTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private const string Account = "000000000000";
    private const string Role = "arn:aws:iam::000000000000:role/lambda-role";

    private AwsClient Kms() => new(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "kms" };

    private static async Task<JsonNode> KmsAsync(AwsClient kms, string operation, object body)
    {
        var response = await kms.TargetAsync("TrentService." + operation, body);
        Assert.True(response.Status == 200, $"{operation}: {response}");
        return response.Json;
    }

    private static async Task<string> CreateKeyAsync(AwsClient kms, string? policy = null) =>
        (await KmsAsync(kms, "CreateKey", policy is null ? new { } : new { Policy = policy, BypassPolicyLockoutSafetyCheck = true }))["KeyMetadata"]!["Arn"]!
        .GetValue<string>();

    private static object Function(string name, Dictionary<string, string>? env, string? keyArn, bool publish = false) => new
    {
        FunctionName = name,
        Runtime = "provided.al2023",
        Role,
        Handler = "unused",
        Code = new { ZipFile = Convert.ToBase64String(TestRuntime.Zip()) },
        MemorySize = 256,
        Timeout = 10,
        Environment = env is null ? null : new { Variables = env },
        KMSKeyArn = keyArn,
        Publish = publish,
    };

    private static Task<AwsResponse> InvokeAsync(AwsClient client, string name, string? qualifier = null) =>
        client.SendAsync(HttpMethod.Post, $"/2015-03-31/functions/{name}/invocations" + (qualifier is null ? "" : $"?Qualifier={qualifier}"), new { action = "env" });

    /// <summary>Drops the function's idle environments, so the next invoke is a cold start.</summary>
    private void ForceColdStart(string name) => fixture.Server.Services.GetRequiredService<EnvironmentManager>().RetireFunction(Account, name);

    private static void AssertLambdaKmsError(AwsResponse response, string code, string clause, string kmsCode, string kmsMessage)
    {
        Assert.True(response.Status == 502, response.ToString());
        Assert.Equal(code, response.Headers["X-Amzn-ErrorType"]);
        Assert.Equal($"Lambda was unable to decrypt the environment variables {clause}. Please check the function's KMS key settings. " +
                     $"KMS Exception: {kmsCode}KMS Message: {kmsMessage}", response.Json["Message"]!.GetValue<string>());
    }

    [Fact]
    public async Task DisablingFunctionsKey_NextColdStartFails_WarmOnesKeepRunning_ReenablingRestores()
    {
        using var kms = Kms();
        using var lambda = fixture.Client();
        var keyArn = await CreateKeyAsync(kms);
        var created = await lambda.PostAsync("/2015-03-31/functions", Function("kms-disable", new() { ["SECRET"] = "s3cret" }, keyArn));
        Assert.True(created.Status == 201, created.ToString());
        Assert.Equal(keyArn, created.Json["KMSKeyArn"]!.GetValue<string>());
        Assert.Equal("s3cret", created.Json["Environment"]!["Variables"]!["SECRET"]!.GetValue<string>());

        var first = await InvokeAsync(lambda, "kms-disable");
        Assert.Equal(200, first.Status);
        Assert.Equal("s3cret", first.Json["vars"]!["SECRET"]!.GetValue<string>());

        await KmsAsync(kms, "DisableKey", new { KeyId = keyArn });
        var warm = await InvokeAsync(lambda, "kms-disable");
        Assert.Equal(200, warm.Status);
        Assert.Equal(first.Json["env"]!.GetValue<string>(), warm.Json["env"]!.GetValue<string>());
        var shown = (await lambda.GetAsync("/2015-03-31/functions/kms-disable/configuration")).Json["Environment"]!;
        Assert.Null(shown["Variables"]);
        Assert.Equal("DisabledException", shown["Error"]!["ErrorCode"]!.GetValue<string>());

        ForceColdStart("kms-disable");
        AssertLambdaKmsError(await InvokeAsync(lambda, "kms-disable"), "KMSDisabledException", "because the KMS key used is disabled",
            "DisabledException", $"{keyArn} is disabled.");

        await KmsAsync(kms, "EnableKey", new { KeyId = keyArn });
        var restored = await InvokeAsync(lambda, "kms-disable");
        Assert.Equal(200, restored.Status);
        Assert.Equal("s3cret", restored.Json["vars"]!["SECRET"]!.GetValue<string>());

        await KmsAsync(kms, "ScheduleKeyDeletion", new { KeyId = keyArn, PendingWindowInDays = 7 });
        ForceColdStart("kms-disable");
        AssertLambdaKmsError(await InvokeAsync(lambda, "kms-disable"), "KMSInvalidStateException",
            "because the KMS key used is in an invalid state for Decrypt", "KMSInvalidStateException", $"{keyArn} is pending deletion.");
        await KmsAsync(kms, "CancelKeyDeletion", new { KeyId = keyArn });
        await KmsAsync(kms, "EnableKey", new { KeyId = keyArn });
        Assert.Equal(200, (await InvokeAsync(lambda, "kms-disable")).Status);
    }

    [Fact]
    public async Task KeyPolicyDeniesExecutionRole_ColdStartKMSAccessDenied_OwnerStillReadsVariables()
    {
        using var kms = Kms();
        using var lambda = fixture.Client();
        var policy = $$"""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{Account}}:root"},"Action":"kms:*","Resource":"*"},
              {"Effect":"Deny","Principal":{"AWS":"{{Role}}"},"Action":"kms:Decrypt","Resource":"*"}]}
            """;
        var keyArn = await CreateKeyAsync(kms, policy);
        Assert.Equal(201, (await lambda.PostAsync("/2015-03-31/functions", Function("kms-denied", new() { ["AA"] = "1" }, keyArn))).Status);

        var response = await InvokeAsync(lambda, "kms-denied");
        Assert.True(response.Status == 502, response.ToString());
        Assert.Equal("KMSAccessDeniedException", response.Headers["X-Amzn-ErrorType"]);
        Assert.StartsWith("Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key " +
                          $"settings. KMS Exception: AccessDeniedExceptionKMS Message: User: arn:aws:sts::{Account}:assumed-role/lambda-role/kms-denied is not " +
                          $"authorized to perform: kms:Decrypt on resource: {keyArn} with an explicit deny", response.Json["Message"]!.GetValue<string>(),
            StringComparison.Ordinal);
        var shown = (await lambda.GetAsync("/2015-03-31/functions/kms-denied/configuration")).Json;
        Assert.Equal("1", shown["Environment"]!["Variables"]!["AA"]!.GetValue<string>());
    }

    [Fact]
    public async Task KmsKeyArn_CheckedAtConfiguration_AsLambdaWordsIt()
    {
        using var kms = Kms();
        using var lambda = fixture.Client();
        var keyArn = await CreateKeyAsync(kms);
        var aliasArn = $"arn:aws:kms:us-east-1:{Account}:alias/env-key";
        await KmsAsync(kms, "CreateAlias", new { AliasName = "alias/env-key", TargetKeyId = keyArn });

        async Task<string> RefusedAsync(string name, string? key)
        {
            var response = await lambda.PostAsync("/2015-03-31/functions", Function(name, new() { ["AA"] = "1" }, key));
            Assert.True(response.Status == 400, response.ToString());
            Assert.Equal("InvalidParameterValueException", response.Headers["X-Amzn-ErrorType"]);
            var message = response.Json["message"]!.GetValue<string>();
            Assert.StartsWith("Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. " +
                              "Please check your KMS key settings. KMS Exception: ", message, StringComparison.Ordinal);
            return message;
        }

        Assert.EndsWith("KMS Exception: InvalidArnException KMS Message: Key Aliases are not supported for this operation.",
            await RefusedAsync("kms-alias", aliasArn), StringComparison.Ordinal);
        var missing = $"arn:aws:kms:us-east-1:{Account}:key/00000000-0000-0000-0000-000000000000";
        Assert.EndsWith($"KMS Exception: NotFoundException KMS Message: Key '{missing}' does not exist", await RefusedAsync("kms-missing", missing),
            StringComparison.Ordinal);
        await KmsAsync(kms, "DisableKey", new { KeyId = keyArn });
        Assert.EndsWith($"KMS Exception: DisabledException KMS Message: {keyArn} is disabled.", await RefusedAsync("kms-disabled", keyArn),
            StringComparison.Ordinal);
        await KmsAsync(kms, "EnableKey", new { KeyId = keyArn });

        // Update: a new key must pass the same check; the variables are re-sealed under it.
        Assert.Equal(201, (await lambda.PostAsync("/2015-03-31/functions", Function("kms-switch", new() { ["AA"] = "1" }, null))).Status);
        var switched = await lambda.PutAsync("/2015-03-31/functions/kms-switch/configuration", new { KMSKeyArn = keyArn });
        Assert.True(switched.Status == 200, switched.ToString());
        Assert.Equal("1", switched.Json["Environment"]!["Variables"]!["AA"]!.GetValue<string>());
        var stored = await StoredAsync("kms-switch", FunctionVersions.Latest);
        Assert.True(EnvironmentCipher.TryParse(stored, out var wrapped, out _));
        Assert.True(KmsCiphertext.TryReadKey(wrapped, out _, out var wrappingKey));
        Assert.EndsWith(wrappingKey, keyArn, StringComparison.Ordinal);
        var refused = await lambda.PutAsync("/2015-03-31/functions/kms-switch/configuration", new { KMSKeyArn = aliasArn });
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task DefaultKey_AwsLambdaAliasCreatedOnFirstUse_VersionsSealedApart_ReadersNeedDecryptOnlyForCustomerKeys()
    {
        using var kms = Kms();
        using var lambda = fixture.Client();
        var created = await lambda.PostAsync("/2015-03-31/functions", Function("kms-default", new() { ["AA"] = "1" }, null, publish: true));
        Assert.True(created.Status == 201, created.ToString());
        Assert.Null(created.Json["KMSKeyArn"]);
        var awsKey = (await KmsAsync(kms, "DescribeKey", new { KeyId = "alias/aws/lambda" }))["KeyMetadata"]!;
        Assert.Equal("AWS", awsKey["KeyManager"]!.GetValue<string>());

        var latest = await StoredAsync("kms-default", FunctionVersions.Latest);
        var published = await StoredAsync("kms-default", "1");
        Assert.True(EnvironmentCipher.TryParse(latest, out var wrapped, out _));
        Assert.True(KmsCiphertext.TryReadKey(wrapped, out _, out var keyId));
        Assert.Equal(awsKey["KeyId"]!.GetValue<string>(), keyId);
        Assert.NotEqual(latest, published);
        Assert.Equal("1", (await lambda.GetAsync("/2015-03-31/functions/kms-default?Qualifier=1")).Json["Configuration"]!["Environment"]!["Variables"]!["AA"]!
            .GetValue<string>());
        var invoked = await InvokeAsync(lambda, "kms-default", "1");
        Assert.Equal("1", invoked.Json["vars"]!["AA"]!.GetValue<string>());

        // A reader with lambda:GetFunctionConfiguration only: the AWS managed key's policy lets it see the variables
        // through Lambda; a customer key's default policy leaves it to IAM, which grants no kms:Decrypt.
        var customer = await CreateKeyAsync(kms);
        Assert.Equal(201, (await lambda.PostAsync("/2015-03-31/functions", Function("kms-customer", new() { ["BB"] = "2" }, customer))).Status);
        using var iam = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", "env-reader"))).Status);
        Assert.Equal(200, (await iam.QueryAsync("PutUserPolicy", ("UserName", "env-reader"), ("PolicyName", "read"),
            ("PolicyDocument", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunctionConfiguration","Resource":"*"}]}"""))).Status);
        var key = await iam.QueryAsync("CreateAccessKey", ("UserName", "env-reader"));
        using var reader = fixture.Client(key.XmlValue("AccessKeyId"), key.XmlValue("SecretAccessKey"));
        var defaultShown = await reader.GetAsync("/2015-03-31/functions/kms-default/configuration");
        Assert.True(defaultShown.Status == 200, defaultShown.ToString());
        Assert.Equal("1", defaultShown.Json["Environment"]!["Variables"]!["AA"]!.GetValue<string>());
        var customerShown = (await reader.GetAsync("/2015-03-31/functions/kms-customer/configuration")).Json["Environment"]!;
        Assert.Null(customerShown["Variables"]);
        Assert.Equal("AccessDeniedException", customerShown["Error"]!["ErrorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task PreKmsEnvironment_StillOpens_ResealedUnderKmsByNextUpdate()
    {
        using var lambda = fixture.Client();
        Assert.Equal(201, (await lambda.PostAsync("/2015-03-31/functions", Function("kms-legacy", new() { ["OLD"] = "v" }, null))).Status);
        var store = fixture.Server.Services.GetRequiredService<IStore>();
        var envelope = fixture.Server.Services.GetRequiredService<Envelope>();
        var current = await StoredAsync("kms-legacy", FunctionVersions.Latest);
        var legacy = envelope.Seal("""{"OLD":"v"}""", FunctionService.EnvironmentContext(Account, "kms-legacy"));
        Assert.True(await store.Sealed.ReplaceAsync(new SealedCell(SealedKind.FunctionEnvironment, Account, "kms-legacy", 0, current), legacy,
            CancellationToken.None));

        Assert.Equal("v", (await lambda.GetAsync("/2015-03-31/functions/kms-legacy/configuration")).Json["Environment"]!["Variables"]!["OLD"]!.GetValue<string>());
        Assert.Equal("v", (await InvokeAsync(lambda, "kms-legacy")).Json["vars"]!["OLD"]!.GetValue<string>());
        var published = await lambda.PostAsync("/2015-03-31/functions/kms-legacy/versions", new { });
        Assert.True(published.Status == 201, published.ToString());
        Assert.Equal(legacy, await StoredAsync("kms-legacy", "1"));

        var updated = await lambda.PutAsync("/2015-03-31/functions/kms-legacy/configuration", new { Environment = new { Variables = new { OLD = "v", NEW = "w" } } });
        Assert.True(updated.Status == 200, updated.ToString());
        Assert.True(EnvironmentCipher.IsKmsSealed(await StoredAsync("kms-legacy", FunctionVersions.Latest)));
        Assert.Equal("w", (await InvokeAsync(lambda, "kms-legacy")).Json["vars"]!["NEW"]!.GetValue<string>());
        Assert.Equal("v", (await InvokeAsync(lambda, "kms-legacy", "1")).Json["vars"]!["OLD"]!.GetValue<string>());
    }

    private async Task<byte[]> StoredAsync(string name, string version) =>
        (await fixture.Server.Services.GetRequiredService<IStore>().Functions.GetVersionAsync(Account, name, version, CancellationToken.None))!
        .SealedEnvironment!;
}
