using System.CommandLine;
using Lamina.Core.Accounts;
using Lamina.Core.Code;
using Lamina.Core.Crypto;
using Lamina.Core.Storage;
using Lamina.Hosting;
using Lamina.Storage.Files;
using Lamina.Storage.Sqlite;

namespace Lamina.Cli;

/// <summary>The <c>lamina</c> command line: <c>serve</c> and the admin verbs.</summary>
internal static partial class LaminaCli
{
    private static Option<string> DataDirOption() => new("--data-dir")
    {
        Description = "Where Lamina keeps its database, keys and code (env LAMINA_DATA_DIR; default ~/.lamina)",
        DefaultValueFactory = _ => DataDirectory.DefaultRoot,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Lamina: AWS Lambda that you run yourself.");
        root.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(AccountsCommand());
        root.Subcommands.Add(KeysCommand());
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(ConfigCommand());
        return root;
    }

    private static Command ServeCommand()
    {
        var dataDir = DataDirOption();
        var listen = new Option<string>("--listen")
        {
            Description = "URL to listen on, http:// or https:// (env LAMINA_LISTEN; default http://127.0.0.1:9600)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_LISTEN") is { Length: > 0 } l ? l : "http://127.0.0.1:9600",
        };
        var tlsCert = new Option<string?>("--tls-cert")
        {
            Description = "PEM certificate (chain) for an https:// listener (env LAMINA_TLS_CERT); without it one is generated in DATA/tls",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_TLS_CERT") is { Length: > 0 } c ? c : null,
        };
        var tlsKey = new Option<string?>("--tls-key")
        {
            Description = "PEM private key of --tls-cert (env LAMINA_TLS_KEY)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_TLS_KEY") is { Length: > 0 } k ? k : null,
        };
        var region = new Option<string>("--region")
        {
            Description = "The AWS region this server is (env LAMINA_REGION; default us-east-1)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_REGION") is { Length: > 0 } r ? r : "us-east-1",
        };
        var egress = new Option<string>("--egress")
        {
            Description = "Whether functions may open connections to other networks: all (default) or none (env LAMINA_EGRESS)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_EGRESS") is { Length: > 0 } e ? e : "all",
        };
        egress.AcceptOnlyFromAmong("all", "none");
        var sandbox = new Option<string>("--sandbox")
        {
            Description = "What runs functions: bubblewrap (default) or gvisor, gVisor's runsc on the ptrace platform (env LAMINA_SANDBOX; runsc from LAMINA_RUNSC, default /usr/bin/runsc)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAMINA_SANDBOX") is { Length: > 0 } s ? s : "bubblewrap",
        };
        sandbox.AcceptOnlyFromAmong("bubblewrap", "gvisor");
        var insecure = new Option<bool>("--insecure-dev")
        {
            Description = "DEVELOPMENT ONLY: run functions even when the host cannot isolate them (no root, cgroups, namespaces)",
        };
        var timeScale = new Option<double>("--time-scale")
        {
            Description = "Divide asynchronous-invocation delays (retry waits, backoff, event age) by N, for tests and demos (env LAMINA_TIME_SCALE)",
            DefaultValueFactory = _ => double.TryParse(Environment.GetEnvironmentVariable("LAMINA_TIME_SCALE"), System.Globalization.CultureInfo.InvariantCulture,
                out var scale) ? scale : 1,
        };
        var auditLogInterval = new Option<double>("--audit-log-interval")
        {
            Description = "Seconds between audit log files (env LAMINA_AUDIT_LOG_INTERVAL; default 300)",
            DefaultValueFactory = _ => SecondsFromEnvironment("LAMINA_AUDIT_LOG_INTERVAL", 300),
        };
        var auditDigestInterval = new Option<double>("--audit-digest-interval")
        {
            Description = "Seconds between signed audit digests (env LAMINA_AUDIT_DIGEST_INTERVAL; default 3600)",
            DefaultValueFactory = _ => SecondsFromEnvironment("LAMINA_AUDIT_DIGEST_INTERVAL", 3600),
        };
        var command = new Command("serve", "Start the Lamina server.")
        {
            dataDir, listen, tlsCert, tlsKey, region, egress, sandbox, insecure, timeScale, auditLogInterval, auditDigestInterval,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServeOptions
            {
                DataDir = parse.GetValue(dataDir)!,
                Listen = parse.GetValue(listen)!,
                TlsCertificate = parse.GetValue(tlsCert),
                TlsKey = parse.GetValue(tlsKey),
                Region = parse.GetValue(region)!,
                Isolation = new Sandboxes.IsolationOptions
                {
                    Egress = parse.GetValue(egress) != "none",
                    Sandbox = parse.GetValue(sandbox) == "gvisor" ? Sandboxes.SandboxTier.Gvisor : Sandboxes.SandboxTier.Bubblewrap,
                    RunscPath = Environment.GetEnvironmentVariable("LAMINA_RUNSC") is { Length: > 0 } runsc ? runsc : Sandboxes.Gvisor.DefaultRunsc,
                    InsecureDevelopmentMode = parse.GetValue(insecure),
                },
                Async = new Core.Async.AsyncOptions { TimeScale = Math.Max(1, parse.GetValue(timeScale)) },
                Audit = new Core.Audit.AuditOptions
                {
                    LogFileInterval = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(auditLogInterval))),
                    DigestInterval = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(auditDigestInterval))),
                },
            };
            if (!System.Text.RegularExpressions.Regex.IsMatch(options.Region, @"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"))
            {
                await Console.Error.WriteLineAsync($"--region '{options.Region}' is not an AWS region name such as us-east-1.");
                return 2;
            }

            LaminaServer server;
            try
            {
                server = await LaminaServer.StartAsync(options, cancellationToken);
            }
            catch (Sandboxes.IsolationUnavailableException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 3;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            await using var running = server;
            Console.WriteLine($"Lamina is listening on {server.Endpoint} (region {options.Region}, data in {server.Data.Root}).");
            if (server.Tls is { } tls)
            {
                Console.WriteLine($"TLS certificate SHA-256 fingerprint: {tls.Fingerprint}");
                if (tls.CaBundle is not null)
                {
                    Console.WriteLine($"The certificate is issued by Lamina's own CA; clients trust it with the CA bundle {tls.CaBundle} (written to the config file as ca_bundle).");
                }
            }

            Console.WriteLine("Point the AWS CLI and SDKs at it with:");
            Console.WriteLine($"export AWS_SHARED_CREDENTIALS_FILE={server.Data.Credentials}");
            Console.WriteLine($"export AWS_CONFIG_FILE={server.Data.Config}");
            await server.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    private static double SecondsFromEnvironment(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : fallback;

    private static Command AccountsCommand()
    {
        var accounts = new Command("accounts", "Create and list accounts (isolated tenants).");

        var dataDir = DataDirOption();
        var name = new Argument<string>("name") { Description = "A unique name for the account" };
        var create = new Command("create", "Create an account and print its root credentials.") { dataDir, name };
        create.SetAction(async (parse, cancellationToken) =>
        {
            var accountName = parse.GetValue(name)!;
            if (!System.Text.RegularExpressions.Regex.IsMatch(accountName, "^[a-zA-Z0-9._-]{1,64}$"))
            {
                await Console.Error.WriteLineAsync("Account names are 1-64 characters of letters, digits, '.', '_' and '-'.");
                return 2;
            }

            await using var admin = await AdminContext.OpenAsync(parse.GetValue(dataDir)!, cancellationToken);
            var (status, credentials) = await admin.Accounts.CreateAsync(accountName, null, cancellationToken);
            if (status != WriteStatus.Ok || credentials is null)
            {
                await Console.Error.WriteLineAsync($"An account named '{accountName}' already exists.");
                return 1;
            }

            Console.WriteLine($"account_id = {credentials.AccountId}");
            Console.WriteLine($"name = {accountName}");
            Console.WriteLine($"aws_access_key_id = {credentials.AccessKeyId}");
            Console.WriteLine($"aws_secret_access_key = {credentials.SecretAccessKey}");
            Console.WriteLine("The secret is shown once; store it now.");
            return 0;
        });

        var listDataDir = DataDirOption();
        var list = new Command("list", "List accounts with their root credentials.") { listDataDir };
        list.SetAction(async (parse, cancellationToken) =>
        {
            await using var admin = await AdminContext.OpenAsync(parse.GetValue(listDataDir)!, cancellationToken);
            Console.WriteLine($"{"ACCOUNT",-14}{"NAME",-24}{"ACCESS KEY",-22}SECRET");
            foreach (var account in await admin.Store.Accounts.ListAsync(cancellationToken))
            {
                var root = await admin.Accounts.GetRootCredentialsAsync(account.Id, cancellationToken);
                Console.WriteLine($"{account.Id,-14}{account.Name,-24}{root?.AccessKeyId ?? "-",-22}{root?.SecretAccessKey ?? "-"}");
            }

            return 0;
        });

        accounts.Subcommands.Add(create);
        accounts.Subcommands.Add(list);
        return accounts;
    }

    private static Command KeysCommand()
    {
        var keys = new Command("keys", "Manage the master key that wraps every data key.");

        var dataDir = DataDirOption();
        var rotate = new Command("rotate-master",
            "Add a new master key, make it the active one and re-wrap every data key under it; safe while the server runs.") { dataDir };
        rotate.SetAction(async (parse, cancellationToken) =>
        {
            var data = new DataDirectory(parse.GetValue(dataDir)!);
            if (!File.Exists(data.MasterKey))
            {
                await Console.Error.WriteLineAsync($"{data.MasterKey} does not exist: nothing to rotate (is --data-dir right?).");
                return 1;
            }

            var ring = MasterKey.Rotate(data.MasterKey);
            Console.WriteLine($"Master key {ring.ActiveKeyId} is now active; keys {string.Join(", ", ring.KeyIds)} stay in {data.MasterKey} for reading.");
            await using var admin = await AdminContext.OpenAsync(data.Root, cancellationToken);
            Report(await admin.Rewrapper.RunAsync(cancellationToken));
            // A running server switches to the new key within MasterKeyWatcher.Interval; a second pass re-wraps what it sealed until then.
            await Task.Delay(MasterKeyWatcher.Interval * 2, cancellationToken);
            Report(await admin.Rewrapper.RunAsync(cancellationToken));
            return 0;
        });

        var rewrapDataDir = DataDirOption();
        var rewrap = new Command("rewrap", "Re-wrap data keys still under an older master key (rotate-master does this; run it again to be sure).")
        {
            rewrapDataDir,
        };
        rewrap.SetAction(async (parse, cancellationToken) =>
        {
            await using var admin = await AdminContext.OpenAsync(parse.GetValue(rewrapDataDir)!, cancellationToken);
            Report(await admin.Rewrapper.RunAsync(cancellationToken));
            return 0;
        });

        keys.Subcommands.Add(rotate);
        keys.Subcommands.Add(rewrap);
        return keys;
    }

    private static void Report(RewrapReport report) =>
        Console.WriteLine($"Re-wrapped {report.Rewrapped} data keys; {report.Current} were already under the active key" +
                          (report.Raced > 0 ? $"; {report.Raced} changed during the pass (run 'lamina keys rewrap' again)." : "."));

    /// <summary>The store and services of a data dir, opened directly (works with or without a running server).</summary>
    private sealed class AdminContext : IAsyncDisposable
    {
        private AdminContext(IStore store, AccountService accounts, Rewrapper rewrapper)
        {
            Store = store;
            Accounts = accounts;
            Rewrapper = rewrapper;
        }

        public IStore Store { get; }

        public AccountService Accounts { get; }

        public Rewrapper Rewrapper { get; }

        public static async Task<AdminContext> OpenAsync(string dataDir, CancellationToken cancellationToken)
        {
            var data = new DataDirectory(dataDir);
            data.EnsureCreated();
            var envelope = new Envelope(MasterKey.LoadOrCreate(data.MasterKey));
            var store = await SqliteStore.OpenAsync(data.Database, TimeProvider.System, cancellationToken);
            var code = new CodeStore(new FileBlobs(data.Blobs), store.Blobs, envelope, TimeProvider.System);
            return new AdminContext(store, new AccountService(store, envelope, TimeProvider.System), new Rewrapper(store, envelope, code));
        }

        public ValueTask DisposeAsync() => Store.DisposeAsync();
    }
}
