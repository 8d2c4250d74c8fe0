using System.Text;
using Lamina.Tests.Support;
using static Lamina.Tests.E2e.E2eHelpers;

namespace Lamina.Tests.E2e;

/// <summary>
/// The real AWS CLI against a server listening on https with its generated certificate: <c>aws kms</c> through the
/// whole key lifecycle with fileb:// blobs, and <c>aws lambda</c> trusting the CA through the config file's
/// ca_bundle or the --ca-bundle flag (and refusing the server without either).
/// </summary>
public sealed class KmsCliTests(TlsLaminaFixture fixture) : IClassFixture<TlsLaminaFixture>, IDisposable
{
    private readonly AwsCli _cli = new(fixture);
    private readonly string _dir = TempDirs.Create("lamina-kms-cli");

    public void Dispose() => TempDirs.Delete(_dir);

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    /// <summary>The CLI's text output of one base64 member, decoded (what <c>| base64 -d</c> would give).</summary>
    private async Task<byte[]> BlobAsync(string query, params string[] args)
    {
        var result = await _cli.RunAsync([.. args, "--output", "text", "--query", query]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Convert.FromBase64String(result.Stdout.Trim());
    }

    [Fact]
    public async Task KmsCli_KeyLifecycle_EncryptDecryptWithFileb_DataKeys_DisableAndDeletion()
    {
        Assert.StartsWith("https://127.0.0.1:", fixture.Endpoint, StringComparison.Ordinal);
        var created = await _cli.JsonAsync("kms", "create-key", "--description", "cli key", "--tags", "TagKey=team,TagValue=cli");
        var keyId = Str(created["KeyMetadata"]!["KeyId"]);
        var keyArn = Str(created["KeyMetadata"]!["Arn"]);
        Assert.Equal("Enabled", Str(created["KeyMetadata"]!["KeyState"]));
        Assert.Equal(0, (await _cli.RunAsync("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", keyId)).ExitCode);

        await File.WriteAllTextAsync(Path("plain.txt"), "the launch codes");
        var ciphertext = await BlobAsync("CiphertextBlob", "kms", "encrypt", "--key-id", "alias/cli", "--plaintext", "fileb://" + Path("plain.txt"),
            "--encryption-context", "purpose=cli,stage=test");
        await File.WriteAllBytesAsync(Path("secret.bin"), ciphertext);
        var plaintext = await BlobAsync("Plaintext", "kms", "decrypt", "--ciphertext-blob", "fileb://" + Path("secret.bin"),
            "--encryption-context", "stage=test,purpose=cli");
        Assert.Equal("the launch codes", Encoding.UTF8.GetString(plaintext));
        var wrongContext = await _cli.ErrorAsync("kms", "decrypt", "--ciphertext-blob", "fileb://" + Path("secret.bin"), "--encryption-context", "purpose=CLI,stage=test");
        Assert.Equal("InvalidCiphertextException", wrongContext.Code);

        var dataKey = await _cli.JsonAsync("kms", "generate-data-key", "--key-id", keyArn, "--key-spec", "AES_256");
        Assert.Equal(32, Convert.FromBase64String(Str(dataKey["Plaintext"])).Length);
        await File.WriteAllBytesAsync(Path("datakey.bin"), Convert.FromBase64String(Str(dataKey["CiphertextBlob"])));
        Assert.Equal(Convert.FromBase64String(Str(dataKey["Plaintext"])),
            await BlobAsync("Plaintext", "kms", "decrypt", "--ciphertext-blob", "fileb://" + Path("datakey.bin")));
        var withoutPlaintext = await _cli.JsonAsync("kms", "generate-data-key-without-plaintext", "--key-id", keyId, "--number-of-bytes", "64");
        Assert.Null(withoutPlaintext["Plaintext"]);

        Assert.Equal(0, (await _cli.RunAsync("kms", "disable-key", "--key-id", keyId)).ExitCode);
        var disabled = await _cli.ErrorAsync("kms", "encrypt", "--key-id", keyId, "--plaintext", "fileb://" + Path("plain.txt"));
        Assert.Equal(new CliError("DisabledException", "Encrypt", $"{keyArn} is disabled."), disabled);
        Assert.Equal(0, (await _cli.RunAsync("kms", "enable-key", "--key-id", keyId)).ExitCode);

        var scheduled = await _cli.JsonAsync("kms", "schedule-key-deletion", "--key-id", keyId, "--pending-window-in-days", "7");
        Assert.Equal("PendingDeletion", Str(scheduled["KeyState"]));
        Assert.Equal(7, scheduled["PendingWindowInDays"]!.GetValue<int>());
        var pending = await _cli.ErrorAsync("kms", "decrypt", "--ciphertext-blob", "fileb://" + Path("datakey.bin"));
        Assert.Equal(new CliError("KMSInvalidStateException", "Decrypt", $"{keyArn} is pending deletion."), pending);
        Assert.Equal(keyArn, Str((await _cli.JsonAsync("kms", "cancel-key-deletion", "--key-id", keyId))["KeyId"]));
        Assert.Equal("Disabled", Str((await _cli.JsonAsync("kms", "describe-key", "--key-id", "alias/cli"))["KeyMetadata"]!["KeyState"]));

        var aliases = await _cli.JsonAsync("kms", "list-aliases", "--key-id", keyId);
        Assert.Equal("alias/cli", Str(aliases["Aliases"]![0]!["AliasName"]));
        var keys = await _cli.JsonAsync("kms", "list-keys");
        Assert.Contains(keys["Keys"]!.AsArray(), k => Str(k!["KeyId"]) == keyId);
        Assert.Contains("Enable IAM User Permissions", Str((await _cli.JsonAsync("kms", "get-key-policy", "--key-id", keyId, "--policy-name", "default"))["Policy"]),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task LambdaCli_OverTls_TrustsCaFromConfigOrFlag_RefusesWithoutIt_SandboxesKeepPlainEndpoint()
    {
        var config = await File.ReadAllTextAsync(fixture.ClientEnvironment["AWS_CONFIG_FILE"]);
        Assert.Contains($"ca_bundle = {fixture.CaBundle}", config, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(System.IO.Path.Combine(fixture.DataDir, "tls", "server.key")));
        await File.WriteAllTextAsync(Path("config"), string.Join('\n', config.Split('\n').Where(l => !l.StartsWith("ca_bundle", StringComparison.Ordinal))));
        var untrusting = new Dictionary<string, string> { ["AWS_CONFIG_FILE"] = Path("config") };

        var refused = await _cli.RunWithAsync(untrusting, "lambda", "list-functions");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("SSL validation failed", refused.Stderr, StringComparison.Ordinal);
        var flagged = await _cli.RunWithAsync(untrusting, "lambda", "list-functions", "--ca-bundle", fixture.CaBundle);
        Assert.True(flagged.ExitCode == 0, flagged.ToString());

        var created = await _cli.RunWithAsync(untrusting, "lambda", "create-function", "--ca-bundle", fixture.CaBundle, "--function-name", "tls-env",
            "--runtime", "provided.al2023", "--role", Role, "--handler", "unused", "--zip-file", FileB(_dir, "fn.zip", TestRuntime.Zip()),
            "--environment", "Variables={GREETING=hello}");
        Assert.True(created.ExitCode == 0, created.ToString());
        await File.WriteAllTextAsync(Path("event.json"), """{"action":"env"}""");
        var invoked = await _cli.RunAsync("lambda", "invoke", "--function-name", "tls-env", "--payload", "fileb://" + Path("event.json"), Path("out.json"));
        Assert.True(invoked.ExitCode == 0, invoked.ToString());
        var output = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path("out.json")))!;
        Assert.Equal("hello", Str(output["vars"]!["GREETING"]));
        Assert.StartsWith("http://", Str(output["vars"]!["AWS_ENDPOINT_URL"]), StringComparison.Ordinal);
    }
}
