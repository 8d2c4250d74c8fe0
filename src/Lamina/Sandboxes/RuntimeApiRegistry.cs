using System.Collections.Concurrent;
using System.Net;

namespace Lamina.Sandboxes;

/// <summary>
/// Tells which environment a Runtime API request comes from. Every environment gets its own address
/// for the Runtime API (a distinct loopback address while sandboxes share the host network), so the
/// connection itself identifies the caller: no token a function could leak or forge.
/// </summary>
internal sealed class RuntimeApiRegistry
{
    private readonly ConcurrentDictionary<IPAddress, SandboxEnvironment> _byAddress = new();
    private readonly ConcurrentQueue<IPAddress> _free = new();
    private int _next;

    /// <summary>The port the Runtime API listens on (set once Kestrel has bound it).</summary>
    public int Port { get; set; }

    /// <summary>
    /// Registers an environment under <paramref name="address"/> (its network namespace's gateway), or, when
    /// it shares the host's network, under a fresh loopback address.
    /// </summary>
    public IPAddress Register(SandboxEnvironment environment, IPAddress? address = null)
    {
        if (address is not null)
        {
            _byAddress[address] = environment;
            return address;
        }

        if (!_free.TryDequeue(out address))
        {
            // 127.34.0.0/16 minus network and broadcast: 65,534 live environments per server.
            var n = Interlocked.Increment(ref _next);
            if (n > 65_534)
            {
                throw new InvalidOperationException("No free Runtime API address (65,534 environments are running).");
            }

            address = new IPAddress([127, 34, (byte)(n >> 8), (byte)(n & 0xFF)]);
        }

        _byAddress[address] = environment;
        return address;
    }

    public void Unregister(IPAddress address, SandboxEnvironment environment)
    {
        if (_byAddress.TryRemove(new KeyValuePair<IPAddress, SandboxEnvironment>(address, environment)) && address.GetAddressBytes()[0] == 127)
        {
            _free.Enqueue(address);
        }
    }

    public SandboxEnvironment? Find(HttpContext context)
    {
        var local = context.Connection.LocalIpAddress;
        if (local is null)
        {
            return null;
        }

        if (local.IsIPv4MappedToIPv6)
        {
            local = local.MapToIPv4();
        }

        return _byAddress.GetValueOrDefault(local);
    }

    public int Count => _byAddress.Count;
}
