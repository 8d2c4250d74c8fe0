using System.IO.Compression;

namespace Lamina.Benchmarks.Durable;

/// <summary>
/// The deployment package of the benchmark's handler, as a user would ship it: bench/durable/handlers.mjs
/// and the SDK's ES-module build from bench/durable/node_modules. @aws-sdk/client-lambda comes from the
/// runtime, as on AWS.
/// </summary>
internal static class HandlerPackage
{
    public const string Handler = "handlers.workload";

    public static byte[] Build(string benchDurableDir)
    {
        var sdk = Path.Combine(benchDurableDir, "node_modules", "@aws", "durable-execution-sdk-js");
        if (!File.Exists(Path.Combine(sdk, "package.json")))
        {
            throw new InvalidOperationException($"No SDK at {sdk}: run 'npm ci' in {benchDurableDir} (bench/run.sh durable does).");
        }

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.CreateEntryFromFile(Path.Combine(benchDurableDir, "handlers.mjs"), "handlers.mjs", CompressionLevel.Fastest);
            const string Prefix = "node_modules/@aws/durable-execution-sdk-js/";
            zip.CreateEntryFromFile(Path.Combine(sdk, "package.json"), Prefix + "package.json", CompressionLevel.Fastest);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(sdk, "dist"), "*.mjs", SearchOption.AllDirectories))
            {
                zip.CreateEntryFromFile(file, Prefix + Path.GetRelativePath(sdk, file).Replace('\\', '/'), CompressionLevel.Fastest);
            }
        }

        return buffer.ToArray();
    }
}
