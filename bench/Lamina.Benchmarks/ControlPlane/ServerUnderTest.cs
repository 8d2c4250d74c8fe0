namespace Lamina.Benchmarks.ControlPlane;

/// <summary>A running server the benchmark talks to: where it listens, the key it accepts, its process.</summary>
internal sealed record ServerUnderTest(string Name, Uri Endpoint, AwsCredentials Credentials, ServerProcess Process) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
