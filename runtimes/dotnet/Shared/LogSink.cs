using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Lamina.Lambda.Shared;

/// <summary>
/// Writes function log records to standard output (standard error for <c>Console.Error</c>), one line each:
/// <c>&lt;UTC time&gt;\t&lt;request id&gt;\t&lt;label&gt;\t&lt;message&gt;</c> as AWS's .NET runtime writes them, or with
/// <c>AWS_LAMBDA_LOG_FORMAT=JSON</c> one object with <c>timestamp</c>, <c>level</c>, <c>requestId</c>,
/// <c>traceId</c>, <c>message</c>, the template's named arguments and exception fields. Records below the
/// configured level (<c>AWS_LAMBDA_HANDLER_LOG_LEVEL</c>, else <c>AWS_LAMBDA_LOG_LEVEL</c>; Information by
/// default) are dropped.
/// </summary>
// CA1001: the console writers live as long as the process, as Console.Out does; nothing may dispose them.
#pragma warning disable CA1001
internal sealed class LogSink
#pragma warning restore CA1001
{
    private static LogSink? _shared;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly object _gate = new();
    private readonly Stream _stdout;
    private readonly Stream _stderr;
    private readonly bool _json;
    private readonly int _minimumLevel;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private ConsoleLogWriter? _consoleOut;
    private ConsoleLogWriter? _consoleError;
    private volatile string? _requestId;
    private volatile string? _traceId;

    public LogSink(Stream stdout, Stream stderr, bool json, int minimumLevel)
    {
        _stdout = stdout;
        _stderr = stderr;
        _json = json;
        _minimumLevel = minimumLevel;
    }

    /// <summary>The process-wide sink on the real standard output, configured from the environment.</summary>
    public static LogSink Shared
    {
        get
        {
            if (_shared is null)
            {
                Interlocked.CompareExchange(ref _shared, FromEnvironment(), null);
            }

            return _shared;
        }
    }

    /// <summary>The invocation in progress (empty during init, as on AWS).</summary>
    public string? RequestId
    {
        get => _requestId;
        set => _requestId = value;
    }

    /// <summary>The invocation's <c>Lambda-Runtime-Trace-Id</c> header.</summary>
    public string? TraceId
    {
        get => _traceId;
        set => _traceId = value;
    }

    private static LogSink FromEnvironment()
    {
        static string? Setting(string handler, string platform) =>
            Environment.GetEnvironmentVariable(handler) is { Length: > 0 } value ? value : Environment.GetEnvironmentVariable(platform);

        var json = string.Equals(Setting("AWS_LAMBDA_HANDLER_LOG_FORMAT", "AWS_LAMBDA_LOG_FORMAT"), "JSON", StringComparison.OrdinalIgnoreCase);
        var level = LogLevels.Parse(Setting("AWS_LAMBDA_HANDLER_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"));
        return new LogSink(Console.OpenStandardOutput(), Console.OpenStandardError(), json, level < 0 ? LogLevels.Information : level);
    }

    /// <summary>Sends <c>Console.Out</c> (Information) and <c>Console.Error</c> (Error) through this sink, a record per line.</summary>
    public void RedirectConsole()
    {
        _consoleOut = new ConsoleLogWriter(this, LogLevels.Information, toError: false);
        _consoleError = new ConsoleLogWriter(this, LogLevels.Error, toError: true);
        Console.SetOut(_consoleOut);
        Console.SetError(_consoleError);
    }

    /// <summary>Writes out console text still waiting for its newline (before a response or error is posted).</summary>
    public void FlushConsole()
    {
        _consoleOut?.FlushPartialLine();
        _consoleError?.FlushPartialLine();
    }

    /// <summary>Writes one record. <paramref name="level"/> is a level name; null means Information.</summary>
    public void Write(string? level, string? message, object?[]? args, Exception? exception = null, bool toError = false)
    {
        var parsed = level is null ? LogLevels.Information : LogLevels.Parse(level);
        Write(parsed, level, message, args, exception, toError);
    }

    public void Write(int level, string? givenLevel, string? message, object?[]? args, Exception? exception, bool toError)
    {
        if (level >= 0 && level < _minimumLevel)
        {
            return;
        }

        var now = DateTime.UtcNow;
        lock (_gate)
        {
            _buffer.Clear();
            if (_json)
            {
                WriteJson(now, level, givenLevel, message, args, exception);
            }
            else
            {
                var text = new StringBuilder(64 + (message?.Length ?? 0))
                    .Append(now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append('\t')
                    .Append(_requestId).Append('\t')
                    .Append(LogLevels.Label(level, givenLevel)).Append('\t')
                    .Append(MessageTemplate.Format(message, args));
                if (exception is not null)
                {
                    text.Append('\n').Append(exception);
                }

                text.Append('\n');
                var chars = text.ToString();
                var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(chars.Length));
                _buffer.Advance(Encoding.UTF8.GetBytes(chars, span));
            }

            var stream = toError ? _stderr : _stdout;
            stream.Write(_buffer.WrittenSpan);
            stream.Flush();
        }
    }

    /// <summary>A line from the runtime itself (not the function), written as is to standard error.</summary>
    public void WriteRuntimeLine(string line)
    {
        lock (_gate)
        {
            _stderr.Write(Encoding.UTF8.GetBytes(line + "\n"));
            _stderr.Flush();
        }
    }

    private void WriteJson(DateTime now, int level, string? givenLevel, string? message, object?[]? args, Exception? exception)
    {
        using var json = new Utf8JsonWriter(_buffer, JsonOptions);
        json.WriteStartObject();
        json.WriteString("timestamp", now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteString("level", LogLevels.Name(level, givenLevel));
        json.WriteString("requestId", _requestId ?? "");
        if (TraceRoot(_traceId) is { } root)
        {
            json.WriteString("traceId", root);
        }

        json.WriteString("message", MessageTemplate.Format(message, args));
        foreach (var (name, value) in MessageTemplate.Properties(message, args))
        {
            if (name is "timestamp" or "level" or "requestId" or "traceId" or "message" || name.Length == 0)
            {
                continue;
            }

            json.WritePropertyName(name);
            WriteValue(json, value);
        }

        if (exception is not null)
        {
            json.WriteString("errorType", exception.GetType().FullName);
            json.WriteString("errorMessage", exception.Message);
            json.WriteStartArray("stackTrace");
            foreach (var line in ErrorJson.StackLines(exception))
            {
                json.WriteStringValue(line);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.Flush();
        _buffer.Write("\n"u8);
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case int or long or short or byte or sbyte or ushort or uint or ulong or float or double or decimal:
                json.WriteRawValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                break;
            case IFormattable formattable:
                json.WriteStringValue(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }

    /// <summary>The <c>Root=</c> part of a trace header (<c>1-5759e988-bd862e3fe1be46a994272793</c>).</summary>
    private static string? TraceRoot(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        foreach (var part in header.Split(';'))
        {
            if (part.StartsWith("Root=", StringComparison.Ordinal))
            {
                return part["Root=".Length..];
            }
        }

        return null;
    }
}
