namespace DurableDotnet;

public sealed record OrderRequest(string OrderId, decimal Amount, string[] Items);

public sealed record Reservation(string Item, string ReservationId);

public sealed record OrderResult(string OrderId, string Status, IReadOnlyList<string> Reservations, string? ApprovedBy, int Attempts);
