using System.Globalization;
using Lamina.Core.Auth;

namespace Lamina.Sandboxes;

internal sealed partial class SandboxEnvironment
{
    /// <summary>Variables withheld from extensions (RIE env.AgentExecEnv), besides every '_'-prefixed one.</summary>
    private static readonly string[] HiddenFromExtensions =
    [
        "AWS_EXECUTION_ENV", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
        "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS",
    ];

    /// <summary>Extracts code and layers, mints credentials, creates the cgroup and /tmp: everything a launch needs.</summary>
    private async Task<LaunchSpec> PrepareAsync()
    {
        var code = await _host.Code.CodeAsync(_spec.CodeBlobId, CancellationToken.None);
        var layers = await _host.Code.LayersAsync(_spec.LayerBlobIds, CancellationToken.None);
        var layout = _host.Layouts.For(_spec.Config.Runtime!);

        var bootstrap = layout.ManagedBootstrap;
        if (bootstrap is null)
        {
            if (File.Exists(Path.Combine(code, "bootstrap")))
            {
                bootstrap = "/var/task/bootstrap";
            }
            else if (layers is not null && File.Exists(Path.Combine(layers, "bootstrap")))
            {
                bootstrap = "/opt/bootstrap";
            }
            else
            {
                throw new EnvironmentSetupException("Runtime.InvalidEntrypoint",
                    "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
            }
        }

        _expectedExtensions = CountExtensions(layers);
        var isolation = _host.Isolation;
        _uid = isolation.Uids?.Acquire();
        // Under gVisor the function is uid 993 of the sentry and its /tmp is served by the gofer as is:
        // owned by 993:990 it looks as it does through bubblewrap's user namespace.
        var gvisor = isolation.Gvisor is not null;
        var (tmpUid, tmpGid) = gvisor ? (SandboxLauncher.SandboxUid, SandboxLauncher.SandboxGid) : (_uid ?? 0, _uid ?? 0);
        _tmp = isolation.SizedTmp
            ? await isolation.Tmp.AcquireAsync(_spec.Config.EphemeralStorage?.Size ?? 512, tmpUid, tmpGid, rootOnlyPath: gvisor, CancellationToken.None)
            : isolation.Tmp.CreateUnsized(Id);
        var limits = ResourceLimits.ForMemory(_spec.MemoryMb);
        if (gvisor)
        {
            _cgroup = _host.Cgroups?.Create(Id, limits);
        }
        else
        {
            // The launcher already sits in a fresh cgroup (SandboxLauncher.TakeParked), which becomes this environment's.
            _parked = _host.Launcher.TakeParked(limits);
            _cgroup = _parked.Cgroup;
        }

        if (isolation.Network is { } network)
        {
            _slot = await network.AcquireAsync(CancellationToken.None);
            _address = _host.Registry.Register(this, _slot.Gateway);
        }
        else
        {
            _address = _host.Registry.Register(this);
        }

        var assumed = await _host.Roles.AssumeAsync(_spec.Key.AccountId, _spec.Config.Role ?? "", FunctionName,
            _host.InvokeOptions.MaxLifetime, CancellationToken.None);
        if (!assumed.TryGetValue(out var credentials, out var roleError))
        {
            throw new EnvironmentSetupException("Lambda.InvalidExecutionRole", roleError.Message);
        }

        var mounts = new List<Mount>(layout.Mounts)
        {
            new(code, "/var/task"),
            new(layers ?? EmptyDirectory(), "/opt"),
            new(_tmp.Directory, "/tmp", Writable: true),
        };

        return new LaunchSpec
        {
            Id = Id,
            Environment = BuildVariables(layout, credentials),
            Mounts = mounts,
            Command = [bootstrap],
            Cgroup = _cgroup,
            NetworkNamespace = _slot?.NamespacePath,
            HostUid = _uid,
        };
    }

    private string EmptyDirectory()
    {
        var empty = Path.Combine(_host.Work.Support, "empty");
        Directory.CreateDirectory(empty);
        return empty;
    }

    private static int CountExtensions(string? layers)
    {
        var dir = layers is null ? null : Path.Combine(layers, "extensions");
        if (dir is null || !Directory.Exists(dir))
        {
            return 0;
        }

        return Directory.EnumerateFiles(dir).Count(f => (File.GetUnixFileMode(f) & UnixFileMode.UserExecute) != 0);
    }

    /// <summary>
    /// The environment as reference/lambda-runtime.md section 3 lists it: unreserved defaults, then the
    /// customer's variables (which may override those), then the reserved ones (which they may not).
    /// </summary>
    private List<KeyValuePair<string, string>> BuildVariables(RuntimeLayout layout, TemporaryCredentials credentials)
    {
        var config = _spec.Config;
        var vars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LANG"] = "en_US.UTF-8",
            ["PATH"] = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            ["LD_LIBRARY_PATH"] = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
            ["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR",
            ["AWS_XRAY_DAEMON_ADDRESS"] = "169.254.79.129:2000",
            ["_AWS_XRAY_DAEMON_ADDRESS"] = "169.254.79.129",
            ["_AWS_XRAY_DAEMON_PORT"] = "2000",
        };
        foreach (var (name, value) in layout.Variables)
        {
            vars[name] = value;
        }

        // In its own network namespace an environment reaches Lamina's API through its gateway, on the Runtime API port.
        var endpoint = _slot is null ? _host.Options.ApiEndpointForSandboxes : $"http://{_slot.Gateway}:{_host.Registry.Port}";
        if (endpoint.Length > 0)
        {
            // The managed SDKs inside the function (boto3, @aws-sdk/client-lambda) call Lamina, not AWS.
            vars["AWS_ENDPOINT_URL"] = endpoint;
            vars["AWS_ENDPOINT_URL_LAMBDA"] = endpoint;
        }

        if (config.LoggingConfig?.LogFormat == "JSON")
        {
            vars["AWS_LAMBDA_LOG_FORMAT"] = "JSON";
            vars["AWS_LAMBDA_LOG_LEVEL"] = config.LoggingConfig.ApplicationLogLevel ?? "INFO";
        }

        foreach (var (name, value) in _spec.Variables)
        {
            vars[name] = value;
        }

        vars["_HANDLER"] = config.Handler ?? "";
        vars["AWS_REGION"] = _spec.Region;
        vars["AWS_DEFAULT_REGION"] = _spec.Region;
        vars["AWS_LAMBDA_FUNCTION_NAME"] = FunctionName;
        vars["AWS_LAMBDA_FUNCTION_VERSION"] = FunctionVersion;
        vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = _spec.MemoryMb.ToString(CultureInfo.InvariantCulture);
        vars["AWS_LAMBDA_INITIALIZATION_TYPE"] = _initializationType;
        vars["AWS_LAMBDA_LOG_GROUP_NAME"] = _logGroup;
        vars["AWS_LAMBDA_LOG_STREAM_NAME"] = LogStream;
        vars["AWS_LAMBDA_RUNTIME_API"] = $"{_address}:{_host.Registry.Port}";
        vars["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId;
        vars["AWS_ACCESS_KEY"] = credentials.AccessKeyId;
        vars["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey;
        vars["AWS_SESSION_TOKEN"] = credentials.SessionToken;
        vars["LAMBDA_TASK_ROOT"] = "/var/task";
        vars["LAMBDA_RUNTIME_DIR"] = "/var/runtime";
        vars["TZ"] = ":UTC";
        vars["_LAMINA_EXTENSION_UNSET"] = string.Join(' ', vars.Keys.Where(k => k.StartsWith('_')).Concat(HiddenFromExtensions).Distinct());
        return [.. vars];
    }
}
