using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Lamina.Core.Invoke;
using Lamina.Core.Logs;

namespace Lamina.Sandboxes;

/// <summary>
/// An execution environment backed by a bubblewrap sandbox, and the Runtime API state machine of its
/// runtime (one invocation at a time; out-of-order calls are refused).
/// </summary>
/// <remarks>
/// Lifecycle: Created → Initializing (sandbox started, waiting for the runtime's first <c>/next</c> and
/// every extension's first <c>event/next</c>) → Ready ⇄ Invoking. A timeout or crash resets the
/// environment to NeedsInit: its processes are killed, its /tmp kept, and the next invocation runs Init
/// again in the invoke phase. Shutdown sends SHUTDOWN to extensions, kills the cgroup and deletes /tmp.
/// </remarks>
internal sealed partial class SandboxEnvironment : IExecutionEnvironment
{
    private enum Phase
    {
        Created,
        Initializing,
        Ready,
        Invoking,
        NeedsInit,
        ShuttingDown,
        Dead,
    }

    private readonly record struct InitSignal(bool Ok, string? ErrorType, byte[]? Payload);

    /// <summary>Largest synchronous response (6 MiB + 100 B), RIE's interop.MaxPayloadSize.</summary>
    public const int MaxResponseBytes = 6_291_556;

    private readonly EnvironmentSpec _spec;
    private readonly SandboxHost _host;
    private readonly string _initializationType;
    private readonly Lock _lock = new();
    private readonly string _logGroup;
    private TmpVolume? _tmp;
    private NetworkSlot? _slot;
    private int? _uid;
    private IPAddress? _address;
    private ICgroup? _cgroup;
    private ParkedLauncher? _parked;
    private SandboxProcess? _process;
    private LaunchSpec? _launch;
    private Phase _phase = Phase.Created;
    private bool _usable = true;
    private TaskCompletionSource<InitSignal>? _initSignal;
    private bool _runtimeCalledNext;
    private Invocation? _current;
    private bool _delivered;
    private TaskCompletionSource<Invocation?>? _nextWaiter;
    private double? _pendingInitDurationMs;
    private long _oomKillsBefore;
    private long _lastUsedTicks;

    /// <summary>
    /// An on-demand environment counts as starting until its first invocation has answered, not only until Init ends:
    /// traced, a nodejs cold start's first invoke (about 30 ms) otherwise overlapped the pool refills released at its
    /// first <c>/next</c>.
    /// </summary>
    private LaunchActivity.Scope? _untilFirstResponse;

    public SandboxEnvironment(EnvironmentSpec spec, string initializationType, SandboxHost host)
    {
        _spec = spec;
        _host = host;
        _initializationType = initializationType;
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        CreatedAt = host.Time.GetUtcNow();
        _lastUsedTicks = CreatedAt.UtcTicks;
        _logGroup = spec.Config.LoggingConfig?.LogGroup ?? $"/aws/lambda/{spec.Key.FunctionName}";
        LogStream = $"{CreatedAt.UtcDateTime:yyyy/MM/dd}/[{spec.Key.Version}]{Id}";
    }

    public string Id { get; }

    public VersionKey Key => _spec.Key;

    public bool Provisioned => _initializationType == "provisioned-concurrency";

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset LastUsedAt => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);

    public string LogStream { get; }

    public bool IsUsable
    {
        get
        {
            lock (_lock)
            {
                return _usable && _phase is not (Phase.ShuttingDown or Phase.Dead);
            }
        }
    }

    public string FunctionName => _spec.Key.FunctionName;

    public string FunctionVersion => _spec.Key.Version;

    public string Handler => _spec.Config.Handler ?? "";

    public string AccountId => _spec.Key.AccountId;

    public Task<InvocationResult?> InitAsync(TimeSpan limit, CancellationToken cancellationToken) =>
        StartAndInitAsync(limit, requestId: null, invokePhase: false);

    /// <summary>Starts the sandbox and waits for Init to finish, fail or run out of time.</summary>
    private async Task<InvocationResult?> StartAndInitAsync(TimeSpan limit, string? requestId, bool invokePhase)
    {
        var time = _host.Time;
        // Until the runtime's first /next (an on-demand environment: until its first answer, _untilFirstResponse), pool
        // refills and other environments' teardown wait (LaunchActivity).
        using var starting = _host.Isolation.Launches.Begin();
        LaunchSpec launch;
        try
        {
            launch = _launch ??= await PrepareAsync();
        }
        catch (EnvironmentSetupException ex)
        {
            await AbandonParkedAsync();
            lock (_lock)
            {
                _usable = false;
            }

            return InvocationResult.Error(ex.ErrorType, ex.Message);
        }

        TaskCompletionSource<InitSignal> signal;
        lock (_lock)
        {
            _phase = Phase.Initializing;
            _runtimeCalledNext = false;
            _current = null;
            _delivered = false;
            _nextWaiter = null;
            ResetExtensionsForInit();
            signal = _initSignal = new TaskCompletionSource<InitSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _oomKillsBefore = _cgroup?.OomKills() ?? 0;
        _cgroup?.SetCpuQuota(ResourceLimits.InitCpuQuota);
        var started = time.GetTimestamp();
        var layout = _host.Layouts.For(_spec.Config.Runtime!);
        WritePlatformLine(null, $"INIT_START Runtime Version: {layout.VersionLabel}\tRuntime Version ARN: {_spec.Config.RuntimeVersionConfig?.RuntimeVersionArn}");
        var process = _host.Launcher.Start(launch, OnLine, Interlocked.Exchange(ref _parked, null));
        lock (_lock)
        {
            _process = process;
        }

        using var timeout = new CancellationTokenSource(limit, time);
        var delay = Task.Delay(Timeout.InfiniteTimeSpan, timeout.Token);
        var winner = await Task.WhenAny(signal.Task, process.Exited, delay);
        var elapsedMs = time.GetElapsedTime(started).TotalMilliseconds;
        _cgroup?.SetCpuQuota(ResourceLimits.ForMemory(_spec.MemoryMb).CpuQuotaMicros);
        if (winner == signal.Task && signal.Task.Result.Ok)
        {
            lock (_lock)
            {
                _phase = Phase.Ready;
                // Provisioned environments initialize ahead of traffic: their first REPORT shows no Init Duration.
                _pendingInitDurationMs = Provisioned && !invokePhase ? null : elapsedMs;
            }

            if (!Provisioned && !invokePhase)
            {
                Interlocked.Exchange(ref _untilFirstResponse, _host.Isolation.Launches.Begin())?.Dispose();
            }

            return null;
        }

        if (winner == signal.Task)
        {
            // The runtime reported an init error and will exit; AWS returns its body as the function error.
            var failure = signal.Task.Result;
            WritePlatformLine(null, $"INIT_REPORT Init Duration: {Ms(elapsedMs)} ms\tPhase: {(invokePhase ? "invoke" : "init")}\tStatus: error\tError Type: {failure.ErrorType}");
            await StopProcessAsync();
            lock (_lock)
            {
                _usable = false;
                _phase = Phase.NeedsInit;
            }

            return new InvocationResult(InvocationStatus.FunctionError, failure.Payload ?? InvocationResult.ErrorJson(failure.ErrorType ?? "Runtime.Unknown", ""), failure.ErrorType);
        }

        if (winner == process.Exited)
        {
            var reason = ExitReason(await process.Exited, out var errorType);
            WritePlatformLine(null, $"INIT_REPORT Init Duration: {Ms(elapsedMs)} ms\tPhase: {(invokePhase ? "invoke" : "init")}\tStatus: error\tError Type: {errorType}");
            await StopProcessAsync();
            lock (_lock)
            {
                _usable = false;
                _phase = Phase.NeedsInit;
            }

            var prefix = requestId is null ? "" : $"RequestId: {requestId} ";
            return InvocationResult.Error(errorType, $"{prefix}Error: {reason}");
        }

        // Out of time: AWS retries an init that overran its 10 s in the invoke phase, with the function's timeout.
        WritePlatformLine(null, $"INIT_REPORT Init Duration: {Ms(elapsedMs)} ms\tPhase: {(invokePhase ? "invoke" : "init")}\tStatus: timeout");
        await StopProcessAsync();
        lock (_lock)
        {
            _phase = Phase.NeedsInit;
        }

        if (invokePhase)
        {
            return InvocationResult.Error("Sandbox.Timedout",
                $"RequestId: {requestId} Error: Task timed out after {_spec.Timeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} seconds");
        }

        return null;
    }

    public async Task<InvocationResult> InvokeAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        using var firstResponse = Interlocked.Exchange(ref _untilFirstResponse, null);
        var time = _host.Time;
        await WaitForExtensionsAsync(_spec.Timeout);
        bool needsInit;
        lock (_lock)
        {
            needsInit = _phase == Phase.NeedsInit;
        }

        var started = time.GetTimestamp();
        if (needsInit)
        {
            var initError = await StartAndInitAsync(_spec.Timeout, invocation.RequestId, invokePhase: true);
            if (initError is not null)
            {
                Touch();
                return initError;
            }
        }

        WritePlatformLine(invocation, $"START RequestId: {invocation.RequestId} Version: {_spec.Key.Version}");
        var remaining = _spec.Timeout - time.GetElapsedTime(started);
        invocation.Deadline = time.GetUtcNow() + remaining;
        SandboxProcess process;
        lock (_lock)
        {
            process = _process!;
            _current = invocation;
            _delivered = false;
            _phase = Phase.Invoking;
            if (_nextWaiter is { } waiter)
            {
                _nextWaiter = null;
                _delivered = true;
                waiter.TrySetResult(invocation);
            }

            DeliverToExtensions(invocation);
        }

        var invokeStarted = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), time);
        var delay = Task.Delay(Timeout.InfiniteTimeSpan, timeout.Token);
        var winner = await Task.WhenAny(invocation.Result, process.Exited, delay);
        InvocationResult result;
        string? platformError = null;
        var reset = false;
        if (winner == invocation.Result)
        {
            result = await invocation.Result;
            await process.DrainAsync(TimeSpan.FromMilliseconds(50));
        }
        else if (winner == process.Exited)
        {
            await process.DrainAsync(TimeSpan.FromMilliseconds(50));
            var reason = ExitReason(await process.Exited, out var errorType);
            platformError = $"{reason}\n{errorType}";
            result = InvocationResult.Error(errorType, $"RequestId: {invocation.RequestId} Error: {reason}");
            invocation.TryComplete(result);
            reset = true;
        }
        else
        {
            var seconds = _spec.Timeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
            WritePlatformLine(invocation, $"{time.GetUtcNow().UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {invocation.RequestId} Task timed out after {seconds} seconds");
            result = InvocationResult.Error("Sandbox.Timedout", $"RequestId: {invocation.RequestId} Error: Task timed out after {seconds} seconds");
            invocation.TryComplete(result);
            reset = true;
        }

        var durationMs = time.GetElapsedTime(invokeStarted).TotalMilliseconds;
        var peakMb = PeakMemoryMb(result.ErrorType == "Runtime.OutOfMemory");
        if (reset)
        {
            await StopProcessAsync();
        }

        WritePlatformLine(invocation, $"END RequestId: {invocation.RequestId}");
        double? initMs;
        lock (_lock)
        {
            initMs = _pendingInitDurationMs;
            _pendingInitDurationMs = null;
            _current = null;
            _delivered = false;
            _phase = reset ? Phase.NeedsInit : Phase.Ready;
        }

        var report = $"REPORT RequestId: {invocation.RequestId}\tDuration: {Ms(durationMs)} ms\tBilled Duration: {Math.Max(1, (long)Math.Ceiling(durationMs))} ms\t" +
                     $"Memory Size: {_spec.MemoryMb} MB\tMax Memory Used: {peakMb} MB\t" +
                     (initMs is { } init ? $"Init Duration: {Ms(init)} ms\t" : "") +
                     (reset ? $"Status: {(result.ErrorType == "Sandbox.Timedout" ? "timeout" : "error")}\t" : "");
        WritePlatformLine(invocation, report);
        if (platformError is not null)
        {
            WritePlatformLine(invocation, $"RequestId: {invocation.RequestId} Error: {platformError}");
        }

        Touch();
        return result;
    }

    private void Touch() => Interlocked.Exchange(ref _lastUsedTicks, _host.Time.GetUtcNow().UtcTicks);

    private static string Ms(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture);

    private long PeakMemoryMb(bool outOfMemory)
    {
        if (outOfMemory)
        {
            return _spec.MemoryMb;
        }

        var bytes = _cgroup?.PeakMemoryBytes() ?? 0;
        return Math.Min(_spec.MemoryMb, (long)Math.Ceiling(bytes / (1024.0 * 1024.0)));
    }

    /// <summary>How AWS words a runtime exit (Go's os/exec wording in RIE), and its error type.</summary>
    private string ExitReason(int status, out string errorType)
    {
        var oom = (_cgroup?.OomKills() ?? 0) > _oomKillsBefore;
        errorType = oom ? "Runtime.OutOfMemory" : "Runtime.ExitError";
        if (status == 0)
        {
            return "Runtime exited without providing a reason";
        }

        if (status > 128)
        {
            var signal = (status - 128) switch
            {
                9 => "killed",
                11 => "segmentation fault",
                6 => "aborted",
                15 => "terminated",
                2 => "interrupt",
                var other => $"signal {other}",
            };
            return $"Runtime exited with error: signal: {signal}";
        }

        return $"Runtime exited with error: exit status {status}";
    }

    private void OnLine(string line)
    {
        Invocation? current;
        lock (_lock)
        {
            current = _phase == Phase.Invoking ? _current : null;
        }

        current?.AppendLog(line);
        _host.Logs.Write(new LogEvent(AccountId, _logGroup, LogStream, _host.Time.GetUtcNow(), line));
    }

    private void WritePlatformLine(Invocation? invocation, string line)
    {
        invocation?.AppendLog(line);
        _host.Logs.Write(new LogEvent(AccountId, _logGroup, LogStream, _host.Time.GetUtcNow(), line));
    }

    /// <summary>A launcher taken for a start that never came (setup failed, or shutdown first): it exits without running anything.</summary>
    private async Task AbandonParkedAsync()
    {
        if (Interlocked.Exchange(ref _parked, null) is { } parked)
        {
            await parked.AbandonAsync();
        }
    }

    /// <summary>Kills every process of the sandbox (a reset keeps /tmp and the registration).</summary>
    private async Task StopProcessAsync()
    {
        SandboxProcess? process;
        TaskCompletionSource<Invocation?>? waiter;
        lock (_lock)
        {
            process = _process;
            _process = null;
            waiter = _nextWaiter;
            _nextWaiter = null;
        }

        waiter?.TrySetResult(null);
        if (_cgroup is not null)
        {
            await _cgroup.KillAllAsync();
        }

        if (process is not null)
        {
            await process.DisposeAsync();
        }
    }

    public async ValueTask ShutdownAsync(string reason)
    {
        lock (_lock)
        {
            if (_phase is Phase.ShuttingDown or Phase.Dead)
            {
                return;
            }

            _phase = Phase.ShuttingDown;
        }

        Interlocked.Exchange(ref _untilFirstResponse, null)?.Dispose();
        try
        {
            await AbandonParkedAsync();
            await SendShutdownToExtensionsAsync(reason);
            await StopProcessAsync();
            if (_cgroup is not null)
            {
                await _cgroup.DestroyAsync();
            }
        }
        finally
        {
            // Only now is every process of the environment gone: its uid, address and slot may be reused.
            if (_address is not null)
            {
                _host.Registry.Unregister(_address, this);
            }

            if (_slot is not null)
            {
                _host.Isolation.Network?.Release(_slot);
            }

            if (_uid is { } uid)
            {
                _host.Isolation.Uids?.Release(uid);
            }

            if (_tmp is not null)
            {
                // Unmounting and deleting the image costs a cold start in progress about 20 ms of its CPU.
                await _host.Isolation.Launches.WhenQuietAsync();
                await TmpVolumes.DestroyAsync(_tmp);
            }

            lock (_lock)
            {
                _phase = Phase.Dead;
                _usable = false;
            }
        }
    }
}

/// <summary>An environment could not be set up (code missing, no bootstrap); reported as the invocation's error.</summary>
internal sealed class EnvironmentSetupException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}
