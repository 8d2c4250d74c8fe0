namespace Lamina.Core.Audit;

/// <summary>The API call a piece of work belongs to, as far as the audit trail knows it.</summary>
/// <param name="EventId">The <c>eventID</c> of the caller's audit record.</param>
/// <param name="EventName">The operation, e.g. <c>UpdateFunctionConfiguration</c>.</param>
internal sealed record AuditCallInfo(string EventId, string EventName);

/// <summary>
/// The call in progress on this async flow. The front door sets it before the handler runs; the store's
/// configuration-history triggers read it (<c>lamina_event_id()</c>), so each change links to the audit
/// record of the call that made it (AWS Config's <c>relatedEvents</c>).
/// </summary>
internal static class AuditContext
{
    private static readonly AsyncLocal<AuditCallInfo?> CurrentCall = new();

    public static AuditCallInfo? Current
    {
        get => CurrentCall.Value;
        set => CurrentCall.Value = value;
    }
}
