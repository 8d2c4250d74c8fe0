namespace Lamina.Benchmarks.ControlPlane;

/// <summary>One load measurement: which server, which operation, what came out.</summary>
internal sealed record LoadRun(string Operation, string Server, LoadResult Result);

/// <summary>Everything one benchmark run measured.</summary>
internal sealed record ControlPlaneResults(
    DateTimeOffset StartedAt,
    TimeSpan Took,
    ControlPlaneSettings Settings,
    MachineInfo Machine,
    IReadOnlyList<LoadRun> Runs,
    IReadOnlyDictionary<string, IReadOnlyList<Boto3Result>> Boto3,
    IReadOnlyDictionary<string, int> ResponseBytes,
    int Resigns)
{
    public LoadResult? Find(string operation, string server) =>
        Runs.FirstOrDefault(r => r.Operation == operation && r.Server == server)?.Result;

    public Boto3Result? FindBoto3(string operation, string server) =>
        Boto3.TryGetValue(server, out var results) ? results.FirstOrDefault(r => r.Operation == operation) : null;

    public double Ratio(string operation)
    {
        var lamina = Find(operation, "Lamina");
        var moto = Find(operation, "moto");
        return lamina is null || moto is null || moto.Throughput == 0 ? 0 : lamina.Throughput / moto.Throughput;
    }

    public long TotalErrors => Runs.Sum(r => r.Result.Errors);
}
