namespace Lamina.Core.Functions;

/// <summary>ARN spellings of Lambda resources (<c>arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]</c>).</summary>
internal static class Arns
{
    public static string Function(string region, string account, string name, string? qualifier = null) =>
        qualifier is null ? $"arn:aws:lambda:{region}:{account}:function:{name}" : $"arn:aws:lambda:{region}:{account}:function:{name}:{qualifier}";

    public static string Layer(string region, string account, string layerName) => $"arn:aws:lambda:{region}:{account}:layer:{layerName}";

    public static string LayerVersion(string region, string account, string layerName, long version) =>
        $"arn:aws:lambda:{region}:{account}:layer:{layerName}:{version}";

    /// <summary>Account and function name of a function ARN (qualified, or a durable execution ARN under it).</summary>
    public static bool TryParseFunction(string arn, out string account, out string name)
    {
        account = name = "";
        var parts = arn.Split('/', 2)[0].Split(':');
        if (parts.Length < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function")
        {
            return false;
        }

        account = parts[4];
        name = parts[6];
        return true;
    }
}
