using System.Text;

namespace Lamina.Lambda.Shared;

/// <summary>
/// What <c>Console.Out</c> and <c>Console.Error</c> become inside a function: every completed line is one log
/// record at a fixed level. A <c>WriteLine(string)</c> call is one record even when the string holds newlines;
/// text written without a newline waits for one, or for <see cref="FlushPartialLine"/> at the end of the invocation.
/// </summary>
internal sealed class ConsoleLogWriter : TextWriter
{
    private readonly LogSink _sink;
    private readonly int _level;
    private readonly bool _toError;
    private readonly StringBuilder _pending = new();
    private readonly object _gate = new();

    public ConsoleLogWriter(LogSink sink, int level, bool toError)
        : base(System.Globalization.CultureInfo.InvariantCulture)
    {
        _sink = sink;
        _level = level;
        _toError = toError;
        CoreNewLine = ['\n'];
    }

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                EmitPending();
            }
            else
            {
                _pending.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        lock (_gate)
        {
            var start = 0;
            int newline;
            while ((newline = value.IndexOf('\n', start)) >= 0)
            {
                _pending.Append(value, start, newline - start);
                EmitPending();
                start = newline + 1;
            }

            _pending.Append(value, start, value.Length - start);
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            _pending.Append(value);
            EmitPending();
        }
    }

    public override void WriteLine() => Write('\n');

    public void FlushPartialLine()
    {
        lock (_gate)
        {
            if (_pending.Length > 0)
            {
                EmitPending();
            }
        }
    }

    private void EmitPending()
    {
        var message = _pending.ToString();
        _pending.Clear();
        if (message.EndsWith('\r'))
        {
            message = message[..^1];
        }

        _sink.Write(_level, null, message, null, null, _toError);
    }
}
