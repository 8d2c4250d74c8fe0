using Lamina.ControlPlane;
using Lamina.Core.Accounts;
using Lamina.Core.Auth;
using Lamina.Core.Code;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;
using Lamina.Core.Layers;
using Lamina.Core.Storage;
using Lamina.Http;
using Lamina.Storage.Files;
using Lamina.Storage.Sqlite;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Lamina.Hosting;

/// <summary>
/// Builds and runs one Lamina node: data directory, store, keys, services and the HTTP front door.
/// Used by <c>lamina serve</c> and, in-process, by the tests.
/// </summary>
internal sealed partial class LaminaServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LaminaServer(WebApplication app, DataDirectory data, ServeOptions options)
    {
        _app = app;
        Data = data;
        Options = options;
    }

    public DataDirectory Data { get; }

    public ServeOptions Options { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The address actually bound (resolves port 0).</summary>
    public string Endpoint { get; private set; } = "";

    public IssuedCredentials RootCredentials { get; private set; } = null!;

    public static async Task<LaminaServer> StartAsync(ServeOptions options, CancellationToken cancellationToken)
    {
        var data = new DataDirectory(options.DataDir);
        data.EnsureCreated();
        var time = TimeProvider.System;
        var masterKey = MasterKey.LoadOrCreate(data.MasterKey);
        var envelope = new Envelope(masterKey);
        var store = await SqliteStore.OpenAsync(data.Database, time, cancellationToken);
        var controlPlane = new ControlPlaneOptions { Region = options.Region };

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The front door enforces each operation's own limit (70 MB code uploads, 6 MB elsewhere) with AWS errors.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.WebHost.UseUrls(options.Listen);

        var services = builder.Services;
        services.AddSingleton(time);
        services.AddSingleton(data);
        services.AddSingleton(controlPlane);
        services.AddSingleton(masterKey);
        services.AddSingleton(envelope);
        services.AddSingleton<IStore>(store);
        services.AddSingleton<IBlobFiles>(new FileBlobs(data.Blobs));
        services.AddSingleton(sp => new CodeStore(sp.GetRequiredService<IBlobFiles>(), store.Blobs, envelope, time));
        services.AddSingleton(RuntimeCatalog.Detect());
        services.AddSingleton<FunctionService>();
        services.AddSingleton<LayerService>();
        services.AddSingleton<AccountService>();
        services.AddSingleton(new Authenticator(store, envelope, time, options.Region));
        services.AddSingleton<IAuthorizer, AccountBoundaryAuthorizer>();

        var app = builder.Build();
        app.UseRouting();
        app.UseMiddleware<FrontDoor>();
        app.MapGet("/health", () => Results.Json(new HealthStatus("ok"), HostJson.Default.HealthStatus));
        LambdaApi.Map(app);

        var server = new LaminaServer(app, data, options);
        await server.InitializeAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        server.Endpoint = ResolveEndpoint(app);
        if (options.WriteClientFiles)
        {
            data.WriteClientFiles(server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey, options.Region, server.Endpoint);
        }

        return server;
    }

    /// <summary>First start creates the default account and its root key; later starts reuse them.</summary>
    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var accounts = Services.GetRequiredService<AccountService>();
        var store = Services.GetRequiredService<IStore>();
        if (await store.Accounts.GetAsync(Account.DefaultId, cancellationToken) is null)
        {
            var (status, _) = await accounts.CreateAsync(Account.DefaultName, Account.DefaultId, cancellationToken);
            if (status != WriteStatus.Ok && await store.Accounts.GetAsync(Account.DefaultId, cancellationToken) is null)
            {
                throw new InvalidOperationException($"Could not create the default account ({status}).");
            }
        }

        RootCredentials = await accounts.GetRootCredentialsAsync(Account.DefaultId, cancellationToken)
            ?? throw new InvalidOperationException("The default account has no active root access key.");
        var swept = await Services.GetRequiredService<CodeStore>().SweepOrphansAsync(cancellationToken);
        if (swept > 0)
        {
            Log.OrphansSwept(_app.Logger, swept);
        }
    }

    private static string ResolveEndpoint(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        // A wildcard bind is reachable on loopback; clients need a concrete host in endpoint_url.
        var host = uri.Host is "0.0.0.0" or "[::]" or "+" or "*" ? "127.0.0.1" : uri.Host;
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        var store = Services.GetRequiredService<IStore>();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await store.DisposeAsync();
    }

    private static partial class Log
    {
        // 1100-1199: hosting.
        [LoggerMessage(1100, LogLevel.Information, "Removed {Count} unreferenced code files left by an interrupted write")]
        public static partial void OrphansSwept(ILogger logger, int count);
    }
}

internal sealed record HealthStatus(string Status);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthStatus))]
internal sealed partial class HostJson : System.Text.Json.Serialization.JsonSerializerContext;
