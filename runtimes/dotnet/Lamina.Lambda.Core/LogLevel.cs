namespace Amazon.Lambda.Core;

/// <summary>Severity of a log message; the names are what JSON log lines show in <c>level</c>.</summary>
public enum LogLevel
{
    /// <summary>Most detailed messages.</summary>
    Trace = 0,

    /// <summary>Debugging messages.</summary>
    Debug = 1,

    /// <summary>General information (the level of <c>Console.WriteLine</c>).</summary>
    Information = 2,

    /// <summary>Unexpected but handled events.</summary>
    Warning = 3,

    /// <summary>Failures of the current operation (the level of <c>Console.Error</c>).</summary>
    Error = 4,

    /// <summary>Failures that need immediate attention.</summary>
    Critical = 5,
}
