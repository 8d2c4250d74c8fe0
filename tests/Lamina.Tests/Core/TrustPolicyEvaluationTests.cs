using Lamina.Core.Accounts;
using Lamina.Core.Iam;

namespace Lamina.Tests.Core;

/// <summary>
/// sts:AssumeRole against a trust policy: unlike other resource policies, a trust policy must allow the
/// caller; naming only the account delegates to the caller's identity policies; cross-account needs both.
/// </summary>
public sealed class TrustPolicyEvaluationTests
{
    private const string Role = "arn:aws:iam::111111111111:role/target";
    private static readonly PrincipalInfo Alice = new("111111111111", "arn:aws:iam::111111111111:user/alice", PrincipalKind.User);
    private static readonly PrincipalInfo Mallory = new("222222222222", "arn:aws:iam::222222222222:user/mallory", PrincipalKind.User);
    private static readonly PolicyDocument AllowAssume =
        PolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}""");

    private static PolicyDocument Trust(string principal, string? condition = null) => PolicyDocument.Parse(
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{principal}}"},"Action":"sts:AssumeRole"{{condition}}}]}""");

    private static bool Allowed(PrincipalInfo who, PolicyDocument trust, bool identityAllows, RequestContext? context = null) =>
        PolicyEvaluator.Decide(new EvaluationRequest
        {
            Principal = who,
            Action = "sts:AssumeRole",
            Resource = Role,
            ResourceAccount = "111111111111",
            Context = context ?? new RequestContext(),
            IdentityPolicies = identityAllows ? [AllowAssume] : [],
            ResourcePolicy = trust,
            ResourcePolicyMustAllow = true,
        }).Allowed;

    [Fact]
    public void SameAccount_TrustNamesUser_AllowedWithoutIdentityPolicy() =>
        Assert.True(Allowed(Alice, Trust(Alice.Arn), identityAllows: false));

    [Fact]
    public void SameAccount_TrustNamesAccount_NeedsIdentityPolicy()
    {
        Assert.False(Allowed(Alice, Trust("arn:aws:iam::111111111111:root"), identityAllows: false));
        Assert.True(Allowed(Alice, Trust("arn:aws:iam::111111111111:root"), identityAllows: true));
    }

    [Fact]
    public void SameAccount_TrustNamesSomeoneElse_IdentityPolicyIsNotEnough() =>
        Assert.False(Allowed(Alice, Trust("arn:aws:iam::111111111111:user/bob"), identityAllows: true));

    [Fact]
    public void CrossAccount_NeedsTrustAndIdentity()
    {
        Assert.False(Allowed(Mallory, Trust(Mallory.Arn), identityAllows: false));
        Assert.True(Allowed(Mallory, Trust(Mallory.Arn), identityAllows: true));
        Assert.False(Allowed(Mallory, Trust("arn:aws:iam::111111111111:root"), identityAllows: true));
    }

    [Fact]
    public void ExternalIdCondition_MustMatch()
    {
        var trust = Trust(Alice.Arn, ""","Condition":{"StringEquals":{"sts:ExternalId":"s3cret"}}""");
        Assert.False(Allowed(Alice, trust, identityAllows: true));
        Assert.False(Allowed(Alice, trust, identityAllows: true, new RequestContext().Set("sts:ExternalId", "wrong")));
        Assert.True(Allowed(Alice, trust, identityAllows: false, new RequestContext().Set("sts:ExternalId", "s3cret")));
    }

    [Fact]
    public void RootOfSameAccount_GetsNoAutomaticAllow() =>
        Assert.False(Allowed(new PrincipalInfo("111111111111", "arn:aws:iam::111111111111:root", PrincipalKind.Root), Trust(Mallory.Arn), true));
}
