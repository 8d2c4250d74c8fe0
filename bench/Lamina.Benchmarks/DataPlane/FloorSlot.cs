using System.Diagnostics;
using System.Net;
using System.Threading.Channels;

namespace Lamina.Benchmarks.DataPlane;

/// <summary>One event handed to a floor runtime, and its answer.</summary>
internal sealed class FloorInvocation(byte[] payload)
{
    public string RequestId { get; } = Guid.NewGuid().ToString();

    public byte[] Payload { get; } = payload;

    public TaskCompletionSource<byte[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// A Runtime API endpoint of the runtime floor: one loopback address (127.77.0.N) that one runtime
/// process at a time talks to, as each Lamina environment has its own Runtime API address.
/// </summary>
internal sealed class FloorSlot(int index)
{
    private Channel<FloorInvocation> _events = NewChannel();

    public int Index { get; } = index;

    public IPAddress Address { get; } = AddressOf(index);

    /// <summary>Completes at the runtime's first <c>GET /next</c>: it has initialized and waits for work.</summary>
    public TaskCompletionSource Ready { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The invocation the runtime is working on (delivered by its last <c>/next</c>).</summary>
    public FloorInvocation? Current { get; set; }

    public Process? Process { get; set; }

    public static IPAddress AddressOf(int index) => new([127, 77, (byte)(index / 250), (byte)(index % 250 + 1)]);

    /// <summary>The slot index of a Runtime API address, or -1 for any other address.</summary>
    public static int IndexOf(IPAddress? address)
    {
        if (address is null || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return -1;
        }

        var bytes = address.GetAddressBytes();
        return bytes[0] == 127 && bytes[1] == 77 ? bytes[2] * 250 + bytes[3] - 1 : -1;
    }

    /// <summary>Readies the slot for a new runtime process.</summary>
    public void Reset()
    {
        _events = NewChannel();
        Ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Current = null;
        Process = null;
    }

    public void Deliver(FloorInvocation invocation) => _events.Writer.TryWrite(invocation);

    public ValueTask<FloorInvocation> NextAsync(CancellationToken cancellationToken)
    {
        Ready.TrySetResult();
        return _events.Reader.ReadAsync(cancellationToken);
    }

    private static Channel<FloorInvocation> NewChannel() =>
        Channel.CreateUnbounded<FloorInvocation>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
}
