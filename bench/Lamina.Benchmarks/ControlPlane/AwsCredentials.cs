namespace Lamina.Benchmarks.ControlPlane;

/// <summary>What a server under test accepts: Lamina's root key from its credentials file, any key for moto.</summary>
internal sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string Region);
