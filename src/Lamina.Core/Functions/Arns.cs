namespace Lamina.Core.Functions;

/// <summary>ARN spellings of Lambda resources (<c>arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]</c>).</summary>
internal static class Arns
{
    public static string Function(string region, string account, string name, string? qualifier = null) =>
        qualifier is null ? $"arn:aws:lambda:{region}:{account}:function:{name}" : $"arn:aws:lambda:{region}:{account}:function:{name}:{qualifier}";

    public static string Layer(string region, string account, string layerName) => $"arn:aws:lambda:{region}:{account}:layer:{layerName}";

    public static string LayerVersion(string region, string account, string layerName, long version) =>
        $"arn:aws:lambda:{region}:{account}:layer:{layerName}:{version}";
}
