using Lamina.Hosting;

namespace Lamina.Tests.Support;

/// <summary>
/// A real Lamina node in-process: Kestrel on a free loopback port, a fresh data directory, the
/// default account's root credentials. Shared by the tests of one class (xUnit class fixture).
/// </summary>
public class LaminaFixture : IAsyncLifetime
{
    private LaminaServer? _server;

    public string DataDir { get; } = TempDirs.Create("lamina-data");

    internal LaminaServer Server => _server ?? throw new InvalidOperationException("Server not started.");

    public string Endpoint => Server.Endpoint;

    public string AccessKeyId => Server.RootCredentials.AccessKeyId;

    public string SecretAccessKey => Server.RootCredentials.SecretAccessKey;

    public string Region => Server.Options.Region;

    public AwsClient Client(string? accessKeyId = null, string? secret = null, string? sessionToken = null) =>
        new(new Uri(Endpoint), accessKeyId ?? AccessKeyId, secret ?? SecretAccessKey, Region, sessionToken, CreateHandler());

    /// <summary>The HTTP handler test clients use (a derived fixture serving TLS trusts its CA here).</summary>
    private protected virtual HttpMessageHandler? CreateHandler() => null;

    /// <summary>Environment for real AWS clients (CLI, boto3, JS SDK) pointed at this server.</summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment => new Dictionary<string, string>
    {
        ["AWS_SHARED_CREDENTIALS_FILE"] = Server.Data.Credentials,
        ["AWS_CONFIG_FILE"] = Server.Data.Config,
        ["AWS_ENDPOINT_URL"] = Endpoint,
        ["AWS_REGION"] = Region,
        ["AWS_DEFAULT_REGION"] = Region,
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
        ["AWS_PAGER"] = "",
        ["AWS_MAX_ATTEMPTS"] = "1",
    };

    public virtual async ValueTask InitializeAsync()
    {
        _server = await LaminaServer.StartAsync(Configure(new ServeOptions
        {
            DataDir = DataDir,
            Listen = "http://127.0.0.1:0",
            Region = "us-east-1",
        }), CancellationToken.None);
        await TestRoles.EnsureLambdaRoleAsync(_server);
    }

    /// <summary>Lets a derived fixture change server options (time scale, timeouts).</summary>
    private protected virtual ServeOptions Configure(ServeOptions options) => options;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        TempDirs.Delete(DataDir);
    }
}
