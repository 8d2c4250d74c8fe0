using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Lamina.Lambda.Shared;

/// <summary>
/// The error body AWS's .NET runtime posts for an exception:
/// <c>{"errorType","errorMessage","stackTrace":[…],"cause":{…},"causes":[…]}</c>, where <c>errorType</c> is the
/// exception's type name, <c>stackTrace</c> its frames one per element (omitted when it has none), <c>cause</c>
/// the inner exception and <c>causes</c> an AggregateException's inner exceptions, capped at 256 KB.
/// </summary>
internal static class ErrorJson
{
    private const int MaxBytes = 256 * 1024;

    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] From(Exception exception)
    {
        var full = Write(exception, withCauses: true);
        if (full.Length <= MaxBytes)
        {
            return full;
        }

        var flat = Write(exception, withCauses: false);
        return flat.Length <= MaxBytes ? flat : Encoding.UTF8.GetBytes("{\"errorMessage\": \"Exception exceeded maximum payload size of 256KB.\"}");
    }

    /// <summary>An error body for a message with no exception object behind it.</summary>
    public static byte[] From(string errorType, string errorMessage)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("errorType", errorType);
            json.WriteString("errorMessage", errorMessage);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The exception's stack frames, one trimmed line each, without the runtime's own frames (the compiled
    /// handler call, the invoke loop): what is left is the function's code and what it called.
    /// </summary>
    public static List<string> StackLines(Exception exception)
    {
        var lines = new List<string>();
        if (string.IsNullOrEmpty(exception.StackTrace))
        {
            return lines;
        }

        foreach (var line in new StackTrace(exception, fNeedFileInfo: true).ToString().Split('\n'))
        {
            var trimmed = line.Trim();
            var marker = trimmed.StartsWith("---", StringComparison.Ordinal);
            if (trimmed.Length > 0 && !IsRuntimeFrame(trimmed) && !(marker && (lines.Count == 0 || lines[^1].StartsWith("---", StringComparison.Ordinal))))
            {
                lines.Add(trimmed);
            }
        }

        // An async boundary marker with no function frame after it says nothing.
        while (lines.Count > 0 && lines[^1].StartsWith("---", StringComparison.Ordinal))
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static bool IsRuntimeFrame(string line) =>
        line.StartsWith("at Lamina.Runtime.Dotnet.", StringComparison.Ordinal) ||
        line.StartsWith("at Lamina.Lambda.", StringComparison.Ordinal) ||
        line.StartsWith("at lambda_method", StringComparison.Ordinal);

    private static byte[] Write(Exception exception, bool withCauses)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            WriteException(json, exception, withCauses, depth: 0);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteException(Utf8JsonWriter json, Exception exception, bool withCauses, int depth)
    {
        json.WriteStartObject();
        json.WriteString("errorType", exception.GetType().Name);
        json.WriteString("errorMessage", exception.Message);
        var stack = StackLines(exception);
        if (stack.Count > 0)
        {
            json.WriteStartArray("stackTrace");
            foreach (var line in stack)
            {
                json.WriteStringValue(line);
            }

            json.WriteEndArray();
        }

        // Depth bound: a cyclic or absurdly deep chain must not overflow the stack while reporting an error.
        if (withCauses && depth < 32)
        {
            if (exception.InnerException is { } inner)
            {
                json.WritePropertyName("cause");
                WriteException(json, inner, withCauses, depth + 1);
            }

            if (exception is AggregateException { InnerExceptions.Count: > 0 } aggregate)
            {
                json.WriteStartArray("causes");
                foreach (var each in aggregate.InnerExceptions)
                {
                    WriteException(json, each, withCauses, depth + 1);
                }

                json.WriteEndArray();
            }
        }

        json.WriteEndObject();
    }
}
