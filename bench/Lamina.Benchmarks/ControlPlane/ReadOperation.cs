using System.Globalization;

namespace Lamina.Benchmarks.ControlPlane;

/// <summary>A control-plane read the benchmark drives, and its URL on a given server.</summary>
internal sealed record ReadOperation(string Name, string PathAndQuery)
{
    public static IReadOnlyList<ReadOperation> All { get; } =
    [
        new("GetFunction", $"/2015-03-31/functions/{ControlPlaneSettings.ReadFunction}"),
        new("ListFunctions", $"/2015-03-31/functions?MaxItems={ControlPlaneSettings.ListPageSize.ToString(CultureInfo.InvariantCulture)}"),
    ];

    public Uri UrlOn(Uri endpoint) => new(endpoint, PathAndQuery);

    /// <summary>The same request shape at the echo server, answered with <paramref name="bytes"/> bytes.</summary>
    public Uri EchoUrlOn(Uri endpoint, int bytes) =>
        new(endpoint, PathAndQuery + (PathAndQuery.Contains('?', StringComparison.Ordinal) ? "&" : "?") +
                      $"{EchoServer.SizeParameter}={bytes.ToString(CultureInfo.InvariantCulture)}");
}
