using Lamina.ControlPlane;
using Lamina.Core.Accounts;
using Lamina.Core.Audit;
using Lamina.Core.Auth;
using Lamina.Core.Code;
using Lamina.Core.ConfigHistory;
using Lamina.Core.Crypto;
using Lamina.Core.Functions;
using Lamina.Core.Iam;
using Lamina.Core.Invoke;
using Lamina.Core.Kms;
using Lamina.Core.Layers;
using Lamina.Core.Logs;
using Lamina.Core.Storage;
using Lamina.DataPlane;
using Lamina.Http;
using Lamina.Sandboxes;
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

    /// <summary>The https listener's certificate, when the API is served over TLS.</summary>
    public TlsSetup? Tls { get; private init; }

    public static async Task<LaminaServer> StartAsync(ServeOptions options, CancellationToken cancellationToken)
    {
        var data = new DataDirectory(options.DataDir);
        data.EnsureCreated();
        var time = TimeProvider.System;
        var listen = ParseListen(options.Listen);
        var tls = listen.Scheme == "https" ? TlsCertificates.Load(data, options.TlsCertificate, options.TlsKey, listen.Host, time) : null;
        var masterKey = MasterKey.LoadOrCreate(data.MasterKey);
        var envelope = new Envelope(masterKey);
        var store = await SqliteStore.OpenAsync(data.Database, time, cancellationToken);
        store.ChangeHooks = new EnvironmentDigests(envelope);
        var controlPlane = new ControlPlaneOptions { Region = options.Region };
        var auditOptions = options.Audit ?? new AuditOptions();
        var auditSigner = await AuditSigner.LoadOrCreateAsync(store.Audit, envelope, time, cancellationToken);
        var auditLayout = new AuditLayout(data.Audit, auditOptions.Bucket, options.Region, auditOptions.TrailName);
        var invokeOptions = options.Invoke ?? new InvokeOptions();
        var sandboxOptions = new SandboxOptions { RuntimesDirectory = options.RuntimesDirectory ?? SandboxOptions.FindRuntimesDirectory() };
        var work = new WorkDirectory(options.WorkDir);
        var runtimeApiPort = FreePort();
        using var bootLogs = LoggerFactory.Create(b => b.AddSimpleConsole());
        Isolation isolation;
        try
        {
            isolation = await Isolation.PrepareAsync(options.Isolation, work, runtimeApiPort, time, bootLogs.CreateLogger("Lamina.Isolation"));
        }
        catch
        {
            work.Delete();
            throw;
        }

        if (!isolation.IsComplete)
        {
            Log.InsecureMode(bootLogs.CreateLogger("Lamina.Isolation"), string.Join("; ", isolation.Missing));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The front door enforces each operation's own limit (70 MB code uploads, 6 MB elsewhere) with AWS errors.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The X-Ray error-cause header a runtime sends with /error can reach 1 MB (the Python client truncates at 1 MiB).
            kestrel.Limits.MaxRequestHeadersTotalSize = 2 * 1024 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 200;
            kestrel.Limits.MaxRequestBufferSize = 4 * 1024 * 1024;
            // Runtime API: one listener; each environment reaches it on its own loopback address.
            kestrel.Listen(System.Net.IPAddress.Any, runtimeApiPort);
            ListenOn(kestrel, listen, tls?.Certificate);
        });

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
        services.AddSingleton<KeyService>();
        services.AddSingleton<EnvironmentVault>();
        services.AddSingleton<IEnvironmentSecrets>(sp => sp.GetRequiredService<EnvironmentVault>());
        services.AddHostedService<MasterKeyWatcher>();
        services.AddSingleton<FunctionService>();
        services.AddSingleton<LayerService>();
        services.AddSingleton<AccountService>();
        services.AddSingleton(new Authenticator(store, envelope, time, options.Region));
        services.AddSingleton<PolicyAuthorizer>();
        services.AddSingleton<IAuthorizer>(sp => sp.GetRequiredService<PolicyAuthorizer>());
        services.AddSingleton(invokeOptions);
        services.AddSingleton(sandboxOptions);
        services.AddSingleton(work);
        services.AddSingleton(isolation);
        services.AddSingleton(sp => new RuntimeApiRegistry { Port = runtimeApiPort });
        services.AddSingleton<SandboxLauncher>();
        services.AddSingleton<CodeCache>();
        services.AddSingleton(sp => new RuntimeLayouts(sp.GetRequiredService<RuntimeCatalog>(), sandboxOptions.RuntimesDirectory!, work));
        services.AddSingleton<CredentialIssuer>();
        services.AddSingleton<ExecutionRoles>();
        services.AddSingleton<ResourcePolicies>();
        services.AddSingleton<IamService>();
        services.AddSingleton<StsService>();
        services.AddSingleton<StoreLogSink>();
        services.AddSingleton<ILogSink>(sp => sp.GetRequiredService<StoreLogSink>());
        services.AddHostedService(sp => sp.GetRequiredService<StoreLogSink>());
        services.AddSingleton<SandboxHost>();
        services.AddSingleton<IEnvironmentFactory, SandboxEnvironmentFactory>();
        services.AddSingleton<ConcurrencyLedger>();
        services.AddSingleton<EnvironmentManager>();
        services.AddSingleton<Invoker>();
        services.AddHostedService<EnvironmentReaper>();
        services.AddHostedService<ProvisionedConcurrencyReconciler>();
        services.AddSingleton(options.Async ?? new Core.Async.AsyncOptions());
        services.AddSingleton<Core.Async.AsyncInvokeService>();
        services.AddSingleton<Core.Async.AsyncProcessor>();
        services.AddSingleton<Core.Durable.DurableEngine>();
        services.AddHostedService<DurableRetention>();
        services.AddSingleton<AsyncPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<AsyncPoller>());
        services.AddSingleton(auditOptions);
        services.AddSingleton(auditSigner);
        services.AddSingleton(auditLayout);
        services.AddSingleton<AuditSealer>();
        services.AddSingleton<AuditRecorder>();
        services.AddSingleton<ConfigHistoryService>();
        services.AddHostedService<AuditSealerService>();

        var app = builder.Build();
        app.UseRouting();
        app.UseMiddleware<FrontDoor>();
        app.MapGet("/health", () => Results.Json(new HealthStatus("ok"), HostJson.Default.HealthStatus));
        LambdaApi.Map(app);
        LambdaApi.MapDurable(app);
        var root = new RootDispatcher();
        IamApi.Map(root);
        StsApi.Map(root);
        KmsApi.Map(root);
        CloudTrailApi.Map(root);
        ConfigServiceApi.Map(root);
        root.MapTo(app);
        InvokeApi.Map(app);
        RuntimeApi.Map(app, $"*:{runtimeApiPort}");
        app.Services.GetRequiredService<SandboxLauncher>().Prepare();
        var environments = app.Services.GetRequiredService<EnvironmentManager>();
        var functions = app.Services.GetRequiredService<FunctionService>();
        functions.Deleted += environments.RetireFunction;
        functions.LatestUpdated += (account, name, revision) => environments.RetireOtherRevisions(account, name, FunctionVersions.Latest, revision);

        var server = new LaminaServer(app, data, options) { Tls = tls };
        await server.InitializeAsync(cancellationToken);
        var recovered = await app.Services.GetRequiredService<AuditSealer>().RecoverAsync(cancellationToken);
        if (recovered > 0)
        {
            Log.AuditRecovered(app.Logger, recovered);
        }

        await app.StartAsync(cancellationToken);
        server.Endpoint = ResolveEndpoint(app, runtimeApiPort);
        // Over TLS, sandboxes sharing the host network keep plain HTTP on loopback (the Runtime API listener serves
        // the API too, as it does for sandboxes in their own network namespace): no CA to install in each runtime.
        sandboxOptions.ApiEndpointForSandboxes = tls is null ? server.Endpoint : $"http://127.0.0.1:{runtimeApiPort}";
        if (options.WriteClientFiles)
        {
            data.WriteClientFiles(server.RootCredentials.AccessKeyId, server.RootCredentials.SecretAccessKey, options.Region, server.Endpoint, tls?.CaBundle);
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

    private static string ResolveEndpoint(WebApplication app, int runtimeApiPort)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var uri = addresses.Select(a => new Uri(a)).First(u => u.Port != runtimeApiPort);
        // A wildcard bind is reachable on loopback; clients need a concrete host in endpoint_url.
        var host = uri.Host is "0.0.0.0" or "[::]" or "+" or "*" ? "127.0.0.1" : uri.Host;
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }

    /// <summary>
    /// Waits for a stop request (SIGTERM, Ctrl+C, or <paramref name="cancellationToken"/>) and returns; <see cref="DisposeAsync"/>
    /// does the stopping. Not <c>WebApplication.WaitForShutdownAsync</c>: it stops Kestrel first, and Kestrel waits up to its
    /// 30 s shutdown timeout for the runtimes' long-polling <c>/next</c> requests, which end only when their environments do.
    /// Past System.CommandLine's termination timeout the process then exited with every environment, /tmp volume and runsc
    /// container still up (the next start swept them).
    /// </summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        var lifetime = Services.GetRequiredService<IHostApplicationLifetime>();
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopping = lifetime.ApplicationStopping.Register(() => stop.TrySetResult());
        using var cancelled = cancellationToken.Register(() => stop.TrySetResult());
        await stop.Task;
    }

    /// <summary>Parses <c>--listen</c>: an http:// or https:// URL with an IP address or localhost and a port (0 picks a free one).</summary>
    private static Uri ParseListen(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--listen '{url}' must be an http:// or https:// URL with a host and port, e.g. http://127.0.0.1:9600.");
        }

        if (uri.Host != "localhost" && !System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
        {
            throw new ArgumentException($"--listen '{url}' must name an IP address or localhost, not '{uri.Host}'.");
        }

        return uri;
    }

    /// <summary>Binds the API listener (with the certificate, for https).</summary>
    private static void ListenOn(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, Uri uri,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure = certificate is null ? _ => { } : o => o.UseHttps(certificate);
        if (uri.Host == "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, configure);
        }
        else
        {
            kestrel.Listen(System.Net.IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port, configure);
        }
    }

    /// <summary>A free TCP port for the Runtime API listener (Kestrel cannot report which of two port-0 listeners got which port).</summary>
    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        var store = Services.GetRequiredService<IStore>();
        var work = Services.GetRequiredService<WorkDirectory>();
        // Environments first: their runtimes hold connections to the Runtime API listener.
        await Services.GetRequiredService<EnvironmentManager>().ShutdownAllAsync();
        await Services.GetRequiredService<SandboxLauncher>().CloseParkedAsync();
        await Services.GetRequiredService<Isolation>().DisposeAsync();
        await Services.GetRequiredService<RuntimeLayouts>().DisposeAsync();
        await _app.StopAsync();
        // Every answered call is in the store by now: seal it and sign a digest, so the trail on disk is complete.
        var sealer = Services.GetRequiredService<AuditSealer>();
        await sealer.DigestAsync(CancellationToken.None);
        sealer.Dispose();
        Services.GetRequiredService<AuditSigner>().Dispose();
        await _app.DisposeAsync();
        await store.DisposeAsync();
        work.Delete();
    }

    private static partial class Log
    {
        // 1100-1199: hosting.
        [LoggerMessage(1100, LogLevel.Information, "Removed {Count} unreferenced code files left by an interrupted write")]
        public static partial void OrphansSwept(ILogger logger, int count);

        [LoggerMessage(1102, LogLevel.Warning, "Wrote {Count} audit files whose records a crash had left unwritten")]
        public static partial void AuditRecovered(ILogger logger, int count);

        [LoggerMessage(1101, LogLevel.Critical,
            "INSECURE DEVELOPMENT MODE: functions run WITHOUT full isolation and must be trusted. Missing: {Missing}")]
        public static partial void InsecureMode(ILogger logger, string missing);
    }
}

internal sealed record HealthStatus(string Status);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthStatus))]
internal sealed partial class HostJson : System.Text.Json.Serialization.JsonSerializerContext;
