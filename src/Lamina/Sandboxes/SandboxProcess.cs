using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;

namespace Lamina.Sandboxes;

/// <summary>
/// A running sandbox: the launcher chain's process, the lines it prints (stdout and stderr merged in
/// order), its exit, and a way to end it and everything it started.
/// </summary>
internal sealed partial class SandboxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Action<string> _onLine;
    private readonly Task _pump;
    private readonly int _fd;
    private volatile bool _waitingForData;
    private Action? _afterExit;

    /// <param name="afterExit">Host-side cleanup once every process is gone (the gVisor tier deletes runsc's container state).</param>
    public SandboxProcess(Process process, Action<string> onLine, Action? afterExit = null)
    {
        _process = process;
        _onLine = onLine;
        _afterExit = afterExit;
        var stream = process.StandardOutput.BaseStream;
        _fd = stream switch
        {
            PipeStream pipe => (int)pipe.SafePipeHandle.DangerousGetHandle(),
            FileStream file => (int)file.SafeFileHandle.DangerousGetHandle(),
            _ => -1,
        };
        _pump = Task.Run(() => PumpAsync(stream));
        Exited = WaitForExitAsync();
    }

    public int Pid => _process.Id;

    /// <summary>Completes with the exit status once the process is gone (128 + N for signal N, as bwrap passes it on).</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    private async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        try
        {
            await _pump.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            // A grandchild kept the pipe open; the cgroup kill ends it.
        }

        return _process.ExitCode;
    }

    private async Task PumpAsync(Stream stream)
    {
        var buffer = new byte[16 * 1024];
        var pending = new List<byte>(256);
        try
        {
            while (true)
            {
                _waitingForData = true;
                var read = await stream.ReadAsync(buffer);
                _waitingForData = false;
                if (read == 0)
                {
                    break;
                }

                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n')
                    {
                        continue;
                    }

                    string line;
                    if (pending.Count > 0)
                    {
                        pending.AddRange(buffer.AsSpan(start, i - start));
                        line = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(pending));
                        pending.Clear();
                    }
                    else
                    {
                        line = Encoding.UTF8.GetString(buffer, start, i - start);
                    }

                    _onLine(line);
                    start = i + 1;
                }

                if (start < read)
                {
                    pending.AddRange(buffer.AsSpan(start, read - start));
                    // Lambda splits records at 256 KB; a runaway line without newline must not grow forever.
                    if (pending.Count > 256 * 1024)
                    {
                        _onLine(Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(pending)));
                        pending.Clear();
                    }
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke with the process.
        }
        finally
        {
            _waitingForData = false;
            if (pending.Count > 0)
            {
                _onLine(Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(pending)));
            }
        }
    }

    /// <summary>
    /// Waits until every byte the sandbox wrote so far has been turned into lines, so the lines a
    /// function printed before it answered land in that invocation's log (bounded by <paramref name="limit"/>).
    /// </summary>
    public async Task DrainAsync(TimeSpan limit)
    {
        var until = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (Environment.TickCount64 < until && !_pump.IsCompleted)
        {
            if (_waitingForData && BytesAvailable() == 0)
            {
                return;
            }

            await Task.Yield();
            if (!_waitingForData || BytesAvailable() > 0)
            {
                await Task.Delay(1);
            }
        }
    }

    private int BytesAvailable()
    {
        if (_fd < 0)
        {
            return 0;
        }

        return Ioctl(_fd, Fionread, out var available) == 0 ? available : 0;
    }

    private const ulong Fionread = 0x541B;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, out int value);

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await Exited.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        if (Interlocked.Exchange(ref _afterExit, null) is { } cleanup)
        {
            cleanup();
        }

        _process.Dispose();
    }
}
