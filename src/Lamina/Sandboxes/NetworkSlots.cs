using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;

namespace Lamina.Sandboxes;

/// <summary>A prepared network namespace with a veth pair: the environment's only way out.</summary>
/// <param name="Gateway">The host end's address: the Runtime API and the Lamina API as the environment sees them.</param>
internal sealed record NetworkSlot(int Index, string Namespace, string HostInterface, IPAddress Gateway, IPAddress Address)
{
    public string NamespacePath => $"/run/netns/{Namespace}";
}

/// <summary>
/// One network namespace per environment, joined to the host by a veth pair on its own /30, with
/// nftables rules that let it reach exactly one host port (Runtime API and Lamina API) and, when egress
/// is on, other networks through masquerading — never the host's other services, other environments,
/// or link-local metadata addresses. Nothing from outside can open a connection into it.
/// </summary>
/// <remarks>
/// Names carry the server's pid in base 36 (<c>lmn&lt;pid&gt;Y&lt;k&gt;X&lt;n&gt;</c>, veth <c>lmh&lt;pid&gt;Y&lt;k&gt;X&lt;n&gt;</c>) so a
/// restarted server can remove what a crashed one left. The separators are upper case because base-36 digits are
/// lower case: with <c>y</c> and <c>x</c>, a pid such as 15442 (<c>bwy</c>) was misread as a dead one and a starting
/// server deleted a running server's namespaces and rules. Slots are reused: an environment's processes are all dead
/// (its cgroup was killed) before its slot returns to the pool. A few are kept ready ahead of demand,
/// since creating one costs two <c>ip</c> runs (about 10 ms).
/// </remarks>
internal sealed partial class NetworkSlots : IAsyncDisposable
{
    private const int ReadySlots = 8;

    private static readonly SemaphoreSlim SubnetLock = new(1, 1);
    private static readonly HashSet<int> SubnetsInUse = [];
    private static int _instances;

    private readonly string _tag;
    private readonly int _subnet;
    private readonly ConcurrentQueue<NetworkSlot> _free = new();
    private readonly ConcurrentDictionary<int, NetworkSlot> _all = new();

    /// <summary>
    /// One <c>ip netns add</c> at a time in this process: iproute2 turns /run/netns into a shared mount on
    /// first use, and two racing first uses can hide each other's namespace files under a fresh bind mount.
    /// </summary>
    private static readonly SemaphoreSlim Creating = new(1, 1);
    private readonly ILogger _logger;
    private readonly LaunchActivity _launches;
    private int _next;
    private int _refilling;

    private NetworkSlots(string tag, int subnet, LaunchActivity launches, ILogger logger)
    {
        _tag = tag;
        _subnet = subnet;
        _launches = launches;
        _logger = logger;
    }

    public string HostInterfacePattern => $"lmh{_tag}X*";

    public string Describe => $"network namespaces on 10.{_subnet}.0.0/16";

    /// <summary>Sets up the firewall for this server, or returns null with the reason.</summary>
    public static async Task<(NetworkSlots? Slots, string? Problem)> CreateAsync(int runtimeApiPort, bool egress, LaunchActivity launches, ILogger logger)
    {
        foreach (var tool in new[] { "/usr/sbin/ip", "/usr/sbin/nft", "/usr/bin/nsenter" })
        {
            if (!File.Exists(tool))
            {
                return (null, $"{tool} is missing (apt-get install iproute2 nftables util-linux).");
            }
        }

        await CleanupStaleAsync();
        // Several servers may share a process (tests): the tag is the pid plus a per-process counter.
        var tag = Base36.Encode(Environment.ProcessId) + "Y" + Base36.Encode(Interlocked.Increment(ref _instances));
        int subnet;
        await SubnetLock.WaitAsync();
        try
        {
            subnet = await PickSubnetAsync();
            SubnetsInUse.Add(subnet);
        }
        finally
        {
            SubnetLock.Release();
        }

        var slots = new NetworkSlots(tag, subnet, launches, logger);
        var rules = slots.Ruleset(runtimeApiPort, egress);
        var applied = await HostCommands.RunAsync("/usr/sbin/nft", ["-f", "-"], rules);
        if (applied.ExitCode != 0)
        {
            return (null, $"nftables rules could not be installed: {applied.Output.Trim()} (Lamina needs root, or CAP_NET_ADMIN, to isolate environments).");
        }

        if (egress && (await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_forward")).Trim() != "1")
        {
            // Forwarding is needed for environments' outbound traffic; the forward chain above limits it to them.
            await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1");
        }

        try
        {
            var probe = await slots.AcquireAsync(CancellationToken.None);
            slots.Release(probe);
        }
        catch (InvalidOperationException ex)
        {
            await slots.DisposeAsync();
            return (null, $"network namespaces could not be created: {ex.Message}");
        }

        return (slots, null);
    }

    private static string Bits(int n) => Base36.Encode(n);

    private string Ruleset(int port, bool egress)
    {
        var host = HostInterfacePattern;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"table inet lamina_{_tag} {{");
        sb.AppendLine("  chain input {");
        sb.AppendLine("    type filter hook input priority -10; policy accept;");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    iifname \"{host}\" tcp dport {port} accept");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    iifname \"{host}\" ct state established,related accept");
        // Only this server's interfaces: every table's input chain sees every packet, so a wildcard here would drop other servers' traffic.
        sb.AppendLine(CultureInfo.InvariantCulture, $"    iifname \"{host}\" drop");
        sb.AppendLine("  }");
        sb.AppendLine("  chain output {");
        sb.AppendLine("    type filter hook output priority -10; policy accept;");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    oifname \"{host}\" ct state established,related accept");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    oifname \"{host}\" drop");
        sb.AppendLine("  }");
        sb.AppendLine("  chain forward {");
        sb.AppendLine("    type filter hook forward priority -10; policy accept;");
        sb.AppendLine("    iifname \"lmh*\" oifname \"lmh*\" drop");
        sb.AppendLine("    iifname \"lmh*\" ip daddr { 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 0.0.0.0/8 } drop");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    iifname \"{host}\" {(egress ? "accept" : "drop")}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    oifname \"{host}\" ct state established,related accept");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    oifname \"{host}\" drop");
        sb.AppendLine("  }");
        if (egress)
        {
            sb.AppendLine("  chain postrouting {");
            sb.AppendLine("    type nat hook postrouting priority 100; policy accept;");
            sb.AppendLine(CultureInfo.InvariantCulture, $"    ip saddr 10.{_subnet}.0.0/16 oifname != \"lmh*\" masquerade");
            sb.AppendLine("  }");
        }

        sb.AppendLine("}");
        return sb.ToString();
    }

    /// <summary>Picks an unused 10.X.0.0/16 (X in 128..255) so several servers on one host never collide.</summary>
    private static async Task<int> PickSubnetAsync()
    {
        var routes = await HostCommands.RunAsync("/usr/sbin/ip", ["-4", "route", "show", "table", "all"]);
        var addresses = await HostCommands.RunAsync("/usr/sbin/ip", ["-4", "addr"]);
        var used = routes.Output + addresses.Output;
        var start = Environment.ProcessId % 128;
        for (var i = 0; i < 128; i++)
        {
            var candidate = 128 + ((start + i) % 128);
            if (!SubnetsInUse.Contains(candidate) && !used.Contains($"10.{candidate}.", StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("No free 10.128.0.0/9 subnet for environment networks.");
    }

    public async Task<NetworkSlot> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_free.TryDequeue(out var slot))
        {
            if (_free.Count < ReadySlots / 2 && Interlocked.Exchange(ref _refilling, 1) == 0)
            {
                _ = Task.Run(RefillAsync, CancellationToken.None);
            }

            return slot;
        }

        return await CreateSlotAsync(cancellationToken);
    }

    public void Release(NetworkSlot slot) => _free.Enqueue(slot);

    private async Task RefillAsync()
    {
        try
        {
            while (_free.Count < ReadySlots)
            {
                await _launches.WhenQuietAsync();
                _free.Enqueue(await CreateSlotAsync(CancellationToken.None));
            }
        }
        catch (InvalidOperationException ex)
        {
            Log.RefillFailed(_logger, ex);
        }
        finally
        {
            Volatile.Write(ref _refilling, 0);
        }
    }

    private async Task<NetworkSlot> CreateSlotAsync(CancellationToken cancellationToken)
    {
        var index = Interlocked.Increment(ref _next);
        if (index >= 16_384)
        {
            throw new InvalidOperationException("All 16,384 environment network slots are in use.");
        }

        var ns = $"lmn{_tag}X{Bits(index)}";
        var hostIf = $"lmh{_tag}X{Bits(index)}";
        var envIf = $"lme{_tag}X{Bits(index)}";
        var third = index >> 6;
        var fourth = (index & 63) << 2;
        var gateway = new IPAddress([10, (byte)_subnet, (byte)third, (byte)(fourth + 1)]);
        var address = new IPAddress([10, (byte)_subnet, (byte)third, (byte)(fourth + 2)]);
        await Creating.WaitAsync(cancellationToken);
        try
        {
            await HostCommands.CheckedAsync("/usr/sbin/ip", ["-batch", "-"],
                $"netns add {ns}\nlink add {hostIf} type veth peer name {envIf} netns {ns}\naddr add {gateway}/30 dev {hostIf}\nlink set {hostIf} up\n",
                cancellationToken);
            await HostCommands.CheckedAsync("/usr/sbin/ip", ["-n", ns, "-batch", "-"],
                $"addr add {address}/30 dev {envIf}\nlink set {envIf} up\nlink set lo up\nroute add default via {gateway}\n", cancellationToken);
        }
        finally
        {
            Creating.Release();
        }

        var slot = new NetworkSlot(index, ns, hostIf, gateway, address);
        _all[index] = slot;
        return slot;
    }

    /// <summary>Removes namespaces and rule tables of Lamina servers that are no longer running.</summary>
    private static async Task CleanupStaleAsync()
    {
        var namespaces = await HostCommands.RunAsync("/usr/sbin/ip", ["netns", "list"]);
        foreach (var line in namespaces.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith("lmn", StringComparison.Ordinal) && OwnerGone(name[3..]))
            {
                await HostCommands.RunAsync("/usr/sbin/ip", ["netns", "del", name]);
            }
        }

        var tables = await HostCommands.RunAsync("/usr/sbin/nft", ["list", "tables"]);
        foreach (var line in tables.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Trim().Split(' ');
            if (parts.Length == 3 && parts[2].StartsWith("lamina_", StringComparison.Ordinal) && OwnerGone(parts[2]["lamina_".Length..]))
            {
                await HostCommands.RunAsync("/usr/sbin/nft", ["delete", "table", parts[1], parts[2]]);
            }
        }
    }

    /// <summary>
    /// Whether the server that named an object (<c>PID</c> then <c>Y</c>) has exited. Servers before the upper-case
    /// separators wrote <c>PIDyKxN</c>, where the pid may itself hold a <c>y</c>: such a name is stale only when no
    /// prefix ending before a <c>y</c> is a running process.
    /// </summary>
    private static bool OwnerGone(string tagAndRest)
    {
        var separator = tagAndRest.IndexOf('Y', StringComparison.Ordinal);
        var candidates = separator >= 0
            ? [tagAndRest[..separator]]
            : tagAndRest.Select((c, i) => c == 'y' ? tagAndRest[..i] : null).OfType<string>().ToList();
        var any = false;
        foreach (var candidate in candidates)
        {
            if (Base36.TryDecode(candidate, out var pid))
            {
                any = true;
                if (pid == Environment.ProcessId || ServerProcesses.IsRunning(pid))
                {
                    return false;
                }
            }
        }

        return any;
    }

    public async ValueTask DisposeAsync()
    {
        var batch = new StringBuilder();
        foreach (var slot in _all.Values)
        {
            batch.Append("netns del ").Append(slot.Namespace).Append('\n');
        }

        if (batch.Length > 0)
        {
            await HostCommands.RunAsync("/usr/sbin/ip", ["-force", "-batch", "-"], batch.ToString());
        }

        await HostCommands.RunAsync("/usr/sbin/nft", ["delete", "table", "inet", $"lamina_{_tag}"]);
        lock (SubnetsInUse)
        {
            SubnetsInUse.Remove(_subnet);
        }


    }

    private static partial class Log
    {
        // 1500-1599: sandbox networking.
        [LoggerMessage(1500, LogLevel.Warning, "Could not prepare spare environment network slots")]
        public static partial void RefillFailed(ILogger logger, Exception exception);
    }
}
