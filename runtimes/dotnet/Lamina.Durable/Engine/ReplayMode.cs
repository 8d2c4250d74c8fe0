namespace Lamina.Durable;

internal enum ReplayMode
{
    /// <summary>New operations: run them and checkpoint.</summary>
    Execution,

    /// <summary>Operations are in history: return their results.</summary>
    Replay,

    /// <summary>A succeeded context with ReplayChildren is re-run only to rebuild its result from its children.</summary>
    ReplaySucceededContext,
}
