using System.Text;
using System.Text.Json.Nodes;
using Lamina.Core.Accounts;
using Lamina.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lamina.Tests.Kms;

/// <summary>
/// The KMS JSON 1.1 API over real HTTP with a raw signed client: shapes, errors as KMS words them, key states,
/// aliases, encryption context, and key policies evaluated with IAM policies within and across accounts.
/// </summary>
public sealed class KmsApiTests(LaminaFixture fixture) : IClassFixture<LaminaFixture>
{
    private const string Account = "000000000000";

    private AwsClient Kms(string? accessKeyId = null, string? secret = null) =>
        new(new Uri(fixture.Endpoint), accessKeyId ?? fixture.AccessKeyId, secret ?? fixture.SecretAccessKey, fixture.Region) { Service = "kms" };

    private static Task<AwsResponse> Call(AwsClient kms, string operation, object body) => kms.TargetAsync("TrentService." + operation, body);

    private static async Task<JsonNode> OkAsync(AwsClient kms, string operation, object body)
    {
        var response = await Call(kms, operation, body);
        Assert.True(response.Status == 200, $"{operation}: {response}");
        return response.Json;
    }

    private static async Task<string> FailsAsync(AwsClient kms, string code, string operation, object body)
    {
        var response = await Call(kms, operation, body);
        Assert.True(response.Status == 400, $"{operation}: {response}");
        Assert.Equal(code, response.Json["__type"]!.GetValue<string>());
        Assert.Equal(code, response.Headers["X-Amzn-ErrorType"]);
        return response.Json["message"]!.GetValue<string>();
    }

    private static async Task<string> CreateKeyAsync(AwsClient kms, object? body = null) =>
        (await OkAsync(kms, "CreateKey", body ?? new { }))["KeyMetadata"]!["KeyId"]!.GetValue<string>();

    private static string KeyArn(string keyId, string account = Account) => $"arn:aws:kms:us-east-1:{account}:key/{keyId}";

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task CreateKey_DescribeListTagsPolicy_ShapesAsKms()
    {
        using var kms = Kms();
        var created = await Call(kms, "CreateKey", new { Description = "orders", Tags = new[] { new { TagKey = "team", TagValue = "pay" } } });
        Assert.Equal(200, created.Status);
        Assert.Equal("application/x-amz-json-1.1", created.Headers["Content-Type"]);
        var metadata = created.Json["KeyMetadata"]!;
        var keyId = metadata["KeyId"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", keyId);
        Assert.Equal(KeyArn(keyId), metadata["Arn"]!.GetValue<string>());
        Assert.Equal(Account, metadata["AWSAccountId"]!.GetValue<string>());
        Assert.Equal("Enabled", metadata["KeyState"]!.GetValue<string>());
        Assert.True(metadata["Enabled"]!.GetValue<bool>());
        Assert.Equal("ENCRYPT_DECRYPT", metadata["KeyUsage"]!.GetValue<string>());
        Assert.Equal("SYMMETRIC_DEFAULT", metadata["KeySpec"]!.GetValue<string>());
        Assert.Equal("CUSTOMER", metadata["KeyManager"]!.GetValue<string>());
        Assert.Equal("AWS_KMS", metadata["Origin"]!.GetValue<string>());
        Assert.InRange(metadata["CreationDate"]!.GetValue<double>(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);

        var described = await OkAsync(kms, "DescribeKey", new { KeyId = KeyArn(keyId) });
        Assert.Equal("orders", described["KeyMetadata"]!["Description"]!.GetValue<string>());
        var listed = await OkAsync(kms, "ListKeys", new { });
        Assert.Contains(listed["Keys"]!.AsArray(), k => k!["KeyId"]!.GetValue<string>() == keyId && k["KeyArn"]!.GetValue<string>() == KeyArn(keyId));
        Assert.False(listed["Truncated"]!.GetValue<bool>());
        var tags = await OkAsync(kms, "ListResourceTags", new { KeyId = keyId });
        Assert.Equal("""[{"TagKey":"team","TagValue":"pay"}]""", tags["Tags"]!.ToJsonString());
        var policy = await OkAsync(kms, "GetKeyPolicy", new { KeyId = keyId, PolicyName = "default" });
        Assert.Contains($"\"AWS\" : \"arn:aws:iam::{Account}:root\"", policy["Policy"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal($"Key '{KeyArn("00000000-0000-0000-0000-000000000000")}' does not exist",
            await FailsAsync(kms, "NotFoundException", "DescribeKey", new { KeyId = "00000000-0000-0000-0000-000000000000" }));
        Assert.StartsWith("1 validation error detected: Value null at 'keyId'",
            await FailsAsync(kms, "ValidationException", "DescribeKey", new { }), StringComparison.Ordinal);
        await FailsAsync(kms, "UnsupportedOperationException", "CreateKey", new { KeySpec = "RSA_2048", KeyUsage = "ENCRYPT_DECRYPT" });
        await FailsAsync(kms, "TagException", "CreateKey", new { Tags = new[] { new { TagKey = "aws:x", TagValue = "y" } } });
        await FailsAsync(kms, "MalformedPolicyDocumentException", "CreateKey", new { Policy = "{not json" });
    }

    [Fact]
    public async Task EncryptDecrypt_ContextExactCaseSensitiveOrderFree_BlobNamesItsKey()
    {
        using var kms = Kms();
        var keyId = await CreateKeyAsync(kms);
        var encrypted = await OkAsync(kms, "Encrypt", new
        {
            KeyId = keyId,
            Plaintext = B64("attack at dawn"),
            EncryptionContext = new Dictionary<string, string> { ["purpose"] = "test", ["stage"] = "prod" },
        });
        Assert.Equal(KeyArn(keyId), encrypted["KeyId"]!.GetValue<string>());
        Assert.Equal("SYMMETRIC_DEFAULT", encrypted["EncryptionAlgorithm"]!.GetValue<string>());
        var blob = encrypted["CiphertextBlob"]!.GetValue<string>();

        var decrypted = await OkAsync(kms, "Decrypt", new
        {
            CiphertextBlob = blob,
            EncryptionContext = new Dictionary<string, string> { ["stage"] = "prod", ["purpose"] = "test" },
        });
        Assert.Equal("attack at dawn", Encoding.UTF8.GetString(Convert.FromBase64String(decrypted["Plaintext"]!.GetValue<string>())));
        Assert.Equal(KeyArn(keyId), decrypted["KeyId"]!.GetValue<string>());

        await FailsAsync(kms, "InvalidCiphertextException", "Decrypt", new { CiphertextBlob = blob });
        await FailsAsync(kms, "InvalidCiphertextException", "Decrypt", new
        {
            CiphertextBlob = blob,
            EncryptionContext = new Dictionary<string, string> { ["purpose"] = "Test", ["stage"] = "prod" },
        });
        await FailsAsync(kms, "InvalidCiphertextException", "Decrypt", new { CiphertextBlob = B64("not a kms blob at all, just text padding it out") });
        var other = await CreateKeyAsync(kms);
        await FailsAsync(kms, "IncorrectKeyException", "Decrypt", new
        {
            CiphertextBlob = blob,
            KeyId = other,
            EncryptionContext = new Dictionary<string, string> { ["purpose"] = "test", ["stage"] = "prod" },
        });
        await FailsAsync(kms, "ValidationException", "Encrypt", new { KeyId = keyId, Plaintext = Convert.ToBase64String(new byte[4097]) });
        await FailsAsync(kms, "DryRunOperationException", "Encrypt", new { KeyId = keyId, Plaintext = B64("x"), DryRun = true });
    }

    [Fact]
    public async Task GenerateDataKey_AndReEncrypt_RoundTrip()
    {
        using var kms = Kms();
        var source = await CreateKeyAsync(kms);
        var destination = await CreateKeyAsync(kms);
        var generated = await OkAsync(kms, "GenerateDataKey", new { KeyId = source, KeySpec = "AES_256" });
        var plaintext = Convert.FromBase64String(generated["Plaintext"]!.GetValue<string>());
        Assert.Equal(32, plaintext.Length);
        Assert.Equal(16, Convert.FromBase64String((await OkAsync(kms, "GenerateDataKey", new { KeyId = source, NumberOfBytes = 16 }))["Plaintext"]!
            .GetValue<string>()).Length);
        Assert.Null((await OkAsync(kms, "GenerateDataKeyWithoutPlaintext", new { KeyId = source, KeySpec = "AES_128" }))["Plaintext"]);
        Assert.Equal("Please specify either number of bytes or key spec.",
            await FailsAsync(kms, "ValidationException", "GenerateDataKey", new { KeyId = source }));

        var moved = await OkAsync(kms, "ReEncrypt", new
        {
            CiphertextBlob = generated["CiphertextBlob"]!.GetValue<string>(),
            DestinationKeyId = destination,
            DestinationEncryptionContext = new Dictionary<string, string> { ["moved"] = "yes" },
        });
        Assert.Equal(KeyArn(source), moved["SourceKeyId"]!.GetValue<string>());
        Assert.Equal(KeyArn(destination), moved["KeyId"]!.GetValue<string>());
        var opened = await OkAsync(kms, "Decrypt", new
        {
            CiphertextBlob = moved["CiphertextBlob"]!.GetValue<string>(),
            EncryptionContext = new Dictionary<string, string> { ["moved"] = "yes" },
        });
        Assert.Equal(plaintext, Convert.FromBase64String(opened["Plaintext"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DisableKey_RefusesCrypto_ScheduleDeletion_PendingThenCancelled()
    {
        using var kms = Kms();
        var keyId = await CreateKeyAsync(kms);
        var blob = (await OkAsync(kms, "Encrypt", new { KeyId = keyId, Plaintext = B64("x") }))["CiphertextBlob"]!.GetValue<string>();

        await OkAsync(kms, "DisableKey", new { KeyId = keyId });
        Assert.Equal("Disabled", (await OkAsync(kms, "DescribeKey", new { KeyId = keyId }))["KeyMetadata"]!["KeyState"]!.GetValue<string>());
        Assert.Equal($"{KeyArn(keyId)} is disabled.", await FailsAsync(kms, "DisabledException", "Encrypt", new { KeyId = keyId, Plaintext = B64("x") }));
        await FailsAsync(kms, "DisabledException", "Decrypt", new { CiphertextBlob = blob });
        await OkAsync(kms, "EnableKey", new { KeyId = keyId });
        await OkAsync(kms, "Decrypt", new { CiphertextBlob = blob });

        Assert.StartsWith("1 validation error detected: Value '5' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
            await FailsAsync(kms, "ValidationException", "ScheduleKeyDeletion", new { KeyId = keyId, PendingWindowInDays = 5 }), StringComparison.Ordinal);
        var scheduled = await OkAsync(kms, "ScheduleKeyDeletion", new { KeyId = keyId, PendingWindowInDays = 7 });
        Assert.Equal(KeyArn(keyId), scheduled["KeyId"]!.GetValue<string>());
        Assert.Equal("PendingDeletion", scheduled["KeyState"]!.GetValue<string>());
        Assert.Equal(7, scheduled["PendingWindowInDays"]!.GetValue<int>());
        Assert.InRange(scheduled["DeletionDate"]!.GetValue<double>() - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 7 * 86400 - 60, 7 * 86400 + 60);
        Assert.Equal($"{KeyArn(keyId)} is pending deletion.",
            await FailsAsync(kms, "KMSInvalidStateException", "Decrypt", new { CiphertextBlob = blob }));
        await FailsAsync(kms, "KMSInvalidStateException", "EnableKey", new { KeyId = keyId });
        Assert.NotNull((await OkAsync(kms, "DescribeKey", new { KeyId = keyId }))["KeyMetadata"]!["DeletionDate"]);

        await OkAsync(kms, "CancelKeyDeletion", new { KeyId = keyId });
        Assert.Equal("Disabled", (await OkAsync(kms, "DescribeKey", new { KeyId = keyId }))["KeyMetadata"]!["KeyState"]!.GetValue<string>());
        await OkAsync(kms, "EnableKey", new { KeyId = keyId });
        await OkAsync(kms, "Decrypt", new { CiphertextBlob = blob });
    }

    [Fact]
    public async Task Aliases_ResolveInCryptoCalls_UpdateListDelete_ReservedNamesRefused()
    {
        using var kms = Kms();
        var first = await CreateKeyAsync(kms);
        var second = await CreateKeyAsync(kms);
        await OkAsync(kms, "CreateAlias", new { AliasName = "alias/orders", TargetKeyId = first });
        Assert.Equal($"An alias with the name arn:aws:kms:us-east-1:{Account}:alias/orders already exists",
            await FailsAsync(kms, "AlreadyExistsException", "CreateAlias", new { AliasName = "alias/orders", TargetKeyId = second }));
        await FailsAsync(kms, "InvalidAliasNameException", "CreateAlias", new { AliasName = "alias/aws/mine", TargetKeyId = first });
        await FailsAsync(kms, "InvalidAliasNameException", "CreateAlias", new { AliasName = "orders2", TargetKeyId = first });
        await FailsAsync(kms, "ValidationException", "CreateAlias", new { AliasName = "alias/x", TargetKeyId = "alias/orders" });

        var byName = await OkAsync(kms, "Encrypt", new { KeyId = "alias/orders", Plaintext = B64("x") });
        Assert.Equal(KeyArn(first), byName["KeyId"]!.GetValue<string>());
        var byArn = await OkAsync(kms, "Encrypt", new { KeyId = $"arn:aws:kms:us-east-1:{Account}:alias/orders", Plaintext = B64("x") });
        Assert.Equal(KeyArn(first), byArn["KeyId"]!.GetValue<string>());
        var aliases = await OkAsync(kms, "ListAliases", new { KeyId = first });
        var entry = Assert.Single(aliases["Aliases"]!.AsArray());
        Assert.Equal("alias/orders", entry!["AliasName"]!.GetValue<string>());
        Assert.Equal($"arn:aws:kms:us-east-1:{Account}:alias/orders", entry["AliasArn"]!.GetValue<string>());
        Assert.Equal(first, entry["TargetKeyId"]!.GetValue<string>());

        await OkAsync(kms, "UpdateAlias", new { AliasName = "alias/orders", TargetKeyId = KeyArn(second) });
        Assert.Equal(KeyArn(second), (await OkAsync(kms, "DescribeKey", new { KeyId = "alias/orders" }))["KeyMetadata"]!["Arn"]!.GetValue<string>());
        await OkAsync(kms, "DeleteAlias", new { AliasName = "alias/orders" });
        Assert.Equal($"Alias 'arn:aws:kms:us-east-1:{Account}:alias/orders' is not found.",
            await FailsAsync(kms, "NotFoundException", "Encrypt", new { KeyId = "alias/orders", Plaintext = B64("x") }));
    }

    [Fact]
    public async Task AwsManagedLambdaKey_CreatedOnDescribe_UsableOnlyThroughLambda()
    {
        using var kms = Kms();
        var described = await OkAsync(kms, "DescribeKey", new { KeyId = "alias/aws/lambda" });
        Assert.Equal("AWS", described["KeyMetadata"]!["KeyManager"]!.GetValue<string>());
        var keyId = described["KeyMetadata"]!["KeyId"]!.GetValue<string>();
        Assert.Equal(keyId, (await OkAsync(kms, "DescribeKey", new { KeyId = "alias/aws/lambda" }))["KeyMetadata"]!["KeyId"]!.GetValue<string>());

        Assert.Contains("is not authorized to perform: kms:Encrypt",
            await FailsAsync(kms, "AccessDeniedException", "Encrypt", new { KeyId = keyId, Plaintext = B64("x") }), StringComparison.Ordinal);
        await FailsAsync(kms, "AccessDeniedException", "DisableKey", new { KeyId = keyId });
        await FailsAsync(kms, "AccessDeniedException", "ScheduleKeyDeletion", new { KeyId = keyId });
        await FailsAsync(kms, "AccessDeniedException", "PutKeyPolicy", new { KeyId = keyId, Policy = "{}" });
    }

    [Fact]
    public async Task SameAccount_DefaultPolicyLetsIamDecide_CustomPolicyIsTheGate_LockoutChecked()
    {
        using var kms = Kms();
        var keyId = await CreateKeyAsync(kms);
        var (akid, secret) = await CreateUserAsync("kms-user", null);
        using var user = Kms(akid, secret);
        Assert.Contains("because no identity-based policy allows the kms:Encrypt action",
            await FailsAsync(user, "AccessDeniedException", "Encrypt", new { KeyId = keyId, Plaintext = B64("x") }), StringComparison.Ordinal);

        await PutUserPolicyAsync("kms-user", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}""");
        await RetryAsync(async () => (await Call(user, "Encrypt", new { KeyId = keyId, Plaintext = B64("x") })).Status == 200);

        // A key policy that names the user alone: its IAM policy no longer matters, and the root is locked out unless it bypasses the check.
        var userOnly = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{Account}}:user/kms-user"},"Action":"kms:Decrypt","Resource":"*"}]}""";
        Assert.Equal("The new key policy will not allow you to update the key policy in the future.",
            await FailsAsync(kms, "MalformedPolicyDocumentException", "PutKeyPolicy", new { KeyId = keyId, PolicyName = "default", Policy = userOnly }));
        await OkAsync(kms, "PutKeyPolicy", new { KeyId = keyId, PolicyName = "default", Policy = userOnly, BypassPolicyLockoutSafetyCheck = true });
        await FailsAsync(user, "AccessDeniedException", "Encrypt", new { KeyId = keyId, Plaintext = B64("x") });
        await FailsAsync(kms, "AccessDeniedException", "Encrypt", new { KeyId = keyId, Plaintext = B64("x") });
        await FailsAsync(kms, "AccessDeniedException", "GetKeyPolicy", new { KeyId = keyId });
    }

    [Fact]
    public async Task CrossAccount_NeedsKeyPolicyAndCallersIamPolicy_KeyReachableOnlyByArn()
    {
        using var kms = Kms();
        var keyId = await CreateKeyAsync(kms);
        var blob = (await OkAsync(kms, "Encrypt", new { KeyId = keyId, Plaintext = B64("shared") }))["CiphertextBlob"]!.GetValue<string>();
        var (_, other) = await fixture.Server.Services.GetRequiredService<AccountService>().CreateAsync("kms-other", null, CancellationToken.None);
        using var outsider = Kms(other!.AccessKeyId, other.SecretAccessKey);

        Assert.Contains("because no resource-based policy allows the kms:Decrypt action",
            await FailsAsync(outsider, "AccessDeniedException", "Decrypt", new { CiphertextBlob = blob }), StringComparison.Ordinal);
        await FailsAsync(outsider, "NotFoundException", "DescribeKey", new { KeyId = keyId });

        var shared = $$"""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{Account}}:root"},"Action":"kms:*","Resource":"*"},
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{other.AccountId}}:root"},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}]}
            """;
        await OkAsync(kms, "PutKeyPolicy", new { KeyId = keyId, Policy = shared });
        var opened = await OkAsync(outsider, "Decrypt", new { CiphertextBlob = blob });
        Assert.Equal("shared", Encoding.UTF8.GetString(Convert.FromBase64String(opened["Plaintext"]!.GetValue<string>())));
        Assert.Equal(KeyArn(keyId), (await OkAsync(outsider, "DescribeKey", new { KeyId = KeyArn(keyId) }))["KeyMetadata"]!["Arn"]!.GetValue<string>());
        await FailsAsync(outsider, "AccessDeniedException", "Encrypt", new { KeyId = KeyArn(keyId), Plaintext = B64("x") });

        // The other account's IAM user needs its own identity policy as well as the key policy naming its account.
        using var otherIam = new AwsClient(new Uri(fixture.Endpoint), other.AccessKeyId, other.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await otherIam.QueryAsync("CreateUser", ("UserName", "reader"))).Status);
        var keyResponse = await otherIam.QueryAsync("CreateAccessKey", ("UserName", "reader"));
        using var reader = Kms(keyResponse.XmlValue("AccessKeyId"), keyResponse.XmlValue("SecretAccessKey"));
        await FailsAsync(reader, "AccessDeniedException", "Decrypt", new { CiphertextBlob = blob });
        Assert.Equal(200, (await otherIam.QueryAsync("PutUserPolicy", ("UserName", "reader"), ("PolicyName", "kms"),
            ("PolicyDocument", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"""))).Status);
        await RetryAsync(async () => (await Call(reader, "Decrypt", new { CiphertextBlob = blob })).Status == 200);
    }

    private async Task<(string AccessKeyId, string Secret)> CreateUserAsync(string name, string? policy)
    {
        using var iam = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await iam.QueryAsync("CreateUser", ("UserName", name))).Status);
        if (policy is not null)
        {
            await PutUserPolicyAsync(name, policy);
        }

        var key = await iam.QueryAsync("CreateAccessKey", ("UserName", name));
        return (key.XmlValue("AccessKeyId")!, key.XmlValue("SecretAccessKey")!);
    }

    private async Task PutUserPolicyAsync(string name, string policy)
    {
        using var iam = new AwsClient(new Uri(fixture.Endpoint), fixture.AccessKeyId, fixture.SecretAccessKey, fixture.Region) { Service = "iam" };
        Assert.Equal(200, (await iam.QueryAsync("PutUserPolicy", ("UserName", name), ("PolicyName", "kms"), ("PolicyDocument", policy))).Status);
    }

    /// <summary>IAM policy changes reach the authorizer within its cache lifetime (2 s), as on AWS within seconds.</summary>
    private static async Task RetryAsync(Func<Task<bool>> attempt)
    {
        for (var i = 0; i < 30; i++)
        {
            if (await attempt())
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail("the change did not take effect within 6 s");
    }
}
