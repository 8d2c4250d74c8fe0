using System.Net;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>How a <see cref="LoadGenerator"/> run counts and paces its requests.</summary>
/// <param name="Expected">The one status that counts as success; any other is an error.</param>
/// <param name="RatePerSecond">
/// Null for a closed loop (each worker sends as soon as its previous response is read). Otherwise the workers
/// share one schedule of sends at this rate, an open loop as long as a response comes back within
/// workers ÷ rate seconds; a send that cannot leave on time leaves late rather than being dropped.
/// </param>
/// <param name="OnSuccess">Sees each successful response on its worker, after its latency is taken and its body read.</param>
internal sealed record LoadOptions(HttpStatusCode Expected = HttpStatusCode.OK, double? RatePerSecond = null, Action<HttpResponseMessage>? OnSuccess = null)
{
    public static LoadOptions ClosedLoop { get; } = new();
}
