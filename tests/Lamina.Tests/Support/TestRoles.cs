using Lamina.Core.Iam;
using Lamina.Core.Storage;
using Lamina.Hosting;

namespace Lamina.Tests.Support;

/// <summary>The execution role tests give their functions: trusted by Lambda, with the basic execution policy.</summary>
public static class TestRoles
{
    public const string LambdaRoleName = "lambda-role";

    public const string LambdaTrust =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    internal static async Task EnsureLambdaRoleAsync(LaminaServer server, string accountId = "000000000000", string name = LambdaRoleName,
        string? inlinePolicy = null)
    {
        var iam = ((IStore)server.Services.GetService(typeof(IStore))!).Iam;
        await iam.CreateRoleAsync(new IamRole
        {
            AccountId = accountId,
            RoleName = name,
            RoleId = "AROA" + Guid.NewGuid().ToString("N")[..17].ToUpperInvariant(),
            AssumeRolePolicyDocument = LambdaTrust,
            CreatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        await iam.AttachPolicyAsync(accountId, IamPrincipalType.Role, name, "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            CancellationToken.None);
        if (inlinePolicy is not null)
        {
            await iam.PutInlinePolicyAsync(new InlinePolicy(accountId, IamPrincipalType.Role, name, "inline", inlinePolicy), CancellationToken.None);
        }
    }
}
