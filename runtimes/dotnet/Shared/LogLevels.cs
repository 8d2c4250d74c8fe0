namespace Lamina.Lambda.Shared;

/// <summary>
/// Log levels as small integers (Trace = 0 … Critical = 5, the order of Amazon.Lambda.Core's LogLevel), with
/// the names each log format shows. A level name the runtime does not know is shown as given and never filtered.
/// </summary>
internal static class LogLevels
{
    public const int Trace = 0;
    public const int Debug = 1;
    public const int Information = 2;
    public const int Warning = 3;
    public const int Error = 4;
    public const int Critical = 5;
    public const int Unknown = -1;

    private static readonly string[] Names = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    // The labels of Microsoft.Extensions.Logging's console provider, which AWS's .NET runtime also uses in text logs.
    private static readonly string[] Labels = ["trce", "dbug", "info", "warn", "fail", "crit"];

    /// <summary>
    /// Parses a LogLevel name (<c>Information</c>) or an <c>AWS_LAMBDA_LOG_LEVEL</c> value (<c>INFO</c>, <c>WARN</c>,
    /// <c>FATAL</c>), ignoring case; <see cref="Unknown"/> otherwise.
    /// </summary>
    public static int Parse(string? level)
    {
        if (string.IsNullOrEmpty(level))
        {
            return Unknown;
        }

        for (var i = 0; i < Names.Length; i++)
        {
            if (string.Equals(level, Names[i], StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return level.ToUpperInvariant() switch
        {
            "INFO" => Information,
            "WARN" => Warning,
            "FATAL" => Critical,
            _ => Unknown,
        };
    }

    public static string Name(int level, string? given) => level >= 0 ? Names[level] : given ?? "";

    public static string Label(int level, string? given) => level >= 0 ? Labels[level] : given ?? "";
}
