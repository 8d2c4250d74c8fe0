using CsCheck;
using Lamina.Core.Accounts;
using Lamina.Core.Iam;

namespace Lamina.Tests.Iam;

/// <summary>The evaluation engine: AWS-documented examples as a table, and properties over random policies.</summary>
public sealed class PolicyEvaluatorTests
{
    private static readonly PrincipalInfo Alice = new("111111111111", "arn:aws:iam::111111111111:user/alice", PrincipalKind.User);
    private static readonly PrincipalInfo Bob = new("222222222222", "arn:aws:iam::222222222222:user/bob", PrincipalKind.User);
    private const string Function = "arn:aws:lambda:us-east-1:111111111111:function:orders";

    private static Decision Decide(PrincipalInfo who, string action, string resource, IEnumerable<string> identity, string? resourcePolicy = null,
        RequestContext? context = null, IEnumerable<string>? session = null) =>
        PolicyEvaluator.Decide(new EvaluationRequest
        {
            Principal = who,
            Action = action,
            Resource = resource,
            ResourceAccount = resource.Split(':')[4].Length == 12 ? resource.Split(':')[4] : "111111111111",
            Context = context ?? new RequestContext(),
            IdentityPolicies = identity.Select(PolicyDocument.Parse).ToList(),
            SessionPolicies = session?.Select(PolicyDocument.Parse).ToList(),
            ResourcePolicy = resourcePolicy is null ? null : PolicyDocument.Parse(resourcePolicy),
        });

    private static string Allow(string action, string resource, string? condition = null) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"{{action}}","Resource":"{{resource}}"{{(condition is null ? "" : ",\"Condition\":" + condition)}}}]}""";

    private static string Deny(string action, string resource) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"{{action}}","Resource":"{{resource}}"}]}""";

    [Theory]
    [InlineData("lambda:GetFunction", Function, "lambda:GetFunction", true)]
    [InlineData("lambda:Get*", Function, "lambda:GetFunction", true)]
    [InlineData("lambda:get*", Function, "lambda:GetFunction", true)]   // actions are case-insensitive
    [InlineData("lambda:*", Function, "lambda:InvokeFunction", true)]
    [InlineData("lambda:List*", Function, "lambda:GetFunction", false)]
    [InlineData("lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:*", "lambda:GetFunction", true)]
    [InlineData("lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:order?", "lambda:GetFunction", true)]
    [InlineData("lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:ORDERS", "lambda:GetFunction", false)] // resources are case-sensitive
    [InlineData("lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:orders:*", "lambda:GetFunction", false)]
    public void Wildcards_MatchAsDocumented(string policyAction, string policyResource, string action, bool allowed) =>
        Assert.Equal(allowed, Decide(Alice, action, Function, [Allow(policyAction, policyResource)]).Allowed);

    [Fact]
    public void QualifiedResource_NeedsQualifierWildcard()
    {
        // Durable and versioned resources: "function:NAME" does not cover "function:NAME:1"; "function:NAME:*" does.
        Assert.False(Decide(Alice, "lambda:InvokeFunction", Function + ":1", [Allow("lambda:InvokeFunction", Function)]).Allowed);
        Assert.True(Decide(Alice, "lambda:InvokeFunction", Function + ":1", [Allow("lambda:InvokeFunction", Function + ":*")]).Allowed);
    }

    [Fact]
    public void ExplicitDeny_BeatsAllow()
    {
        var decision = Decide(Alice, "lambda:GetFunction", Function, [Allow("lambda:*", "*"), Deny("lambda:GetFunction", Function)]);
        Assert.Equal(DecisionKind.ExplicitDenyIdentity, decision.Kind);
    }

    [Fact]
    public void NotAction_And_NotResource()
    {
        var notAction = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"lambda:DeleteFunction","Resource":"*"}]}""";
        Assert.True(Decide(Alice, "lambda:GetFunction", Function, [notAction]).Allowed);
        Assert.False(Decide(Alice, "lambda:DeleteFunction", Function, [notAction]).Allowed);
        var notResource = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","NotResource":"arn:aws:lambda:*:*:function:secret*"}]}""";
        Assert.True(Decide(Alice, "lambda:GetFunction", Function, [notResource]).Allowed);
        Assert.False(Decide(Alice, "lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:secret-one", [notResource]).Allowed);
    }

    [Fact]
    public void SameAccount_ResourcePolicyAloneSuffices_CrossAccountNeedsBoth()
    {
        var grantBob = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{Bob.Arn}}"},"Action":"lambda:InvokeFunction","Resource":"{{Function}}"}]}""";
        var grantAlice = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{Alice.Arn}}"},"Action":"lambda:InvokeFunction","Resource":"{{Function}}"}]}""";
        Assert.True(Decide(Alice, "lambda:InvokeFunction", Function, [], grantAlice).Allowed);
        Assert.False(Decide(Bob, "lambda:InvokeFunction", Function, [], grantBob).Allowed);
        Assert.True(Decide(Bob, "lambda:InvokeFunction", Function, [Allow("lambda:InvokeFunction", "*")], grantBob).Allowed);
        Assert.False(Decide(Bob, "lambda:InvokeFunction", Function, [Allow("lambda:InvokeFunction", "*")]).Allowed);
    }

    [Fact]
    public void AccountPrincipal_DelegatesToThatAccountsIdentityPolicies()
    {
        var grantAccount = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"lambda:InvokeFunction","Resource":"{{Function}}"}]}""";
        Assert.False(Decide(Bob, "lambda:InvokeFunction", Function, [], grantAccount).Allowed);
        Assert.True(Decide(Bob, "lambda:InvokeFunction", Function, [Allow("lambda:InvokeFunction", Function)], grantAccount).Allowed);
        var bobRoot = new PrincipalInfo("222222222222", "arn:aws:iam::222222222222:root", PrincipalKind.Root);
        Assert.True(Decide(bobRoot, "lambda:InvokeFunction", Function, [], grantAccount).Allowed);
    }

    [Fact]
    public void ServicePrincipal_WithSourceArnCondition_ConfusedDeputyGuard()
    {
        var policy = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",
             "Resource":"arn:aws:lambda:us-east-1:111111111111:function:orders","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket"},"StringEquals":{"AWS:SourceAccount":"111111111111"}}}]}
            """;
        var s3 = new PrincipalInfo("s3", "arn:aws:iam::aws:service/s3.amazonaws.com", PrincipalKind.Service, Service: "s3.amazonaws.com");
        var good = new RequestContext().Set("aws:SourceArn", "arn:aws:s3:::my-bucket").Set("aws:SourceAccount", "111111111111");
        var wrongBucket = new RequestContext().Set("aws:SourceArn", "arn:aws:s3:::their-bucket").Set("aws:SourceAccount", "111111111111");
        Assert.True(Decide(s3, "lambda:InvokeFunction", Function, [], policy, good).Allowed);
        Assert.False(Decide(s3, "lambda:InvokeFunction", Function, [], policy, wrongBucket).Allowed);
        Assert.False(Decide(s3, "lambda:InvokeFunction", Function, [], policy, new RequestContext()).Allowed);
    }

    [Theory]
    [InlineData("""{"StringEquals":{"aws:username":"alice"}}""", true)]
    [InlineData("""{"StringEquals":{"aws:username":["bob","alice"]}}""", true)]
    [InlineData("""{"StringNotEquals":{"aws:username":"alice"}}""", false)]
    [InlineData("""{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}""", true)]
    [InlineData("""{"StringLike":{"aws:username":"al*"}}""", true)]
    [InlineData("""{"StringNotLike":{"aws:username":"b*"}}""", true)]
    [InlineData("""{"NumericLessThan":{"aws:EpochTime":"99999999999"}}""", true)]
    [InlineData("""{"NumericGreaterThan":{"aws:EpochTime":"99999999999"}}""", false)]
    [InlineData("""{"NumericLessThan":{"aws:EpochTime":"not-a-number"}}""", false)]
    [InlineData("""{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}""", true)]
    [InlineData("""{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}""", false)]
    [InlineData("""{"Bool":{"aws:SecureTransport":"false"}}""", true)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}""", true)]
    [InlineData("""{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}""", false)]
    [InlineData("""{"IpAddress":{"aws:SourceIp":"192.168.0.0/16"}}""", false)]
    [InlineData("""{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}""", true)]
    [InlineData("""{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}""", true)]
    [InlineData("""{"Null":{"aws:MissingKey":"true"}}""", true)]
    [InlineData("""{"Null":{"aws:username":"true"}}""", false)]
    [InlineData("""{"StringEquals":{"aws:MissingKey":"x"}}""", false)]
    [InlineData("""{"StringNotEquals":{"aws:MissingKey":"x"}}""", true)]     // negated operators hold for a missing key
    [InlineData("""{"StringEqualsIfExists":{"aws:MissingKey":"x"}}""", true)]
    [InlineData("""{"StringEqualsIfExists":{"aws:username":"bob"}}""", false)]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}""", true)]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}""", false)]
    [InlineData("""{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","z"]}}""", true)]
    [InlineData("""{"ForAnyValue:StringEquals":{"aws:TagKeys":["z"]}}""", false)]
    [InlineData("""{"ForAllValues:StringEquals":{"aws:NoTags":["z"]}}""", true)]    // empty set: vacuously true
    [InlineData("""{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}""", false)]  // operators AND
    public void Conditions_FollowIamSemantics(string condition, bool allowed)
    {
        var context = new RequestContext()
            .Set("aws:username", "alice")
            .Set("aws:EpochTime", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Set("aws:CurrentTime", DateTimeOffset.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture))
            .Set("aws:SecureTransport", "false")
            .Set("aws:SourceIp", "10.1.2.3")
            .Set("aws:PrincipalArn", Alice.Arn)
            .Set("aws:TagKeys", ["a", "b"]);
        Assert.Equal(allowed, Decide(Alice, "lambda:GetFunction", Function, [Allow("lambda:GetFunction", "*", condition)], context: context).Allowed);
    }

    [Fact]
    public void PolicyVariables_Substituted()
    {
        var policy = Allow("lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:${aws:username}-*");
        var context = new RequestContext().Set("aws:username", "alice");
        Assert.True(Decide(Alice, "lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:alice-app", [policy], context: context).Allowed);
        Assert.False(Decide(Alice, "lambda:GetFunction", "arn:aws:lambda:us-east-1:111111111111:function:bob-app", [policy], context: context).Allowed);
    }

    [Fact]
    public void SessionPolicies_OnlyNarrow()
    {
        var role = new PrincipalInfo("111111111111", "arn:aws:sts::111111111111:assumed-role/app/s1", PrincipalKind.AssumedRole,
            "arn:aws:iam::111111111111:role/app");
        Assert.True(Decide(role, "lambda:GetFunction", Function, [Allow("lambda:*", "*")], session: [Allow("lambda:Get*", "*")]).Allowed);
        Assert.False(Decide(role, "lambda:DeleteFunction", Function, [Allow("lambda:*", "*")], session: [Allow("lambda:Get*", "*")]).Allowed);
        Assert.False(Decide(role, "lambda:GetFunction", Function, [Allow("lambda:List*", "*")], session: [Allow("lambda:*", "*")]).Allowed);
    }

    [Fact]
    public void RolePrincipal_MatchesItsSessions()
    {
        var trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"lambda:InvokeFunction","Resource":"*"}]}""";
        var session = new PrincipalInfo("111111111111", "arn:aws:sts::111111111111:assumed-role/app/s1", PrincipalKind.AssumedRole,
            "arn:aws:iam::111111111111:role/app");
        Assert.True(Decide(session, "lambda:InvokeFunction", Function, [], trust).Allowed);
    }

    private static readonly string[] Actions = ["lambda:GetFunction", "lambda:InvokeFunction", "lambda:DeleteFunction", "lambda:ListFunctions", "iam:PassRole"];
    private static readonly string[] ActionPatterns = ["*", "lambda:*", "lambda:Get*", "lambda:GetFunction", "lambda:InvokeFunction", "iam:*", "lambda:?etFunction"];
    private static readonly string[] Resources = [Function, Function + ":1", "arn:aws:lambda:us-east-1:111111111111:function:other"];
    private static readonly string[] ResourcePatterns = ["*", Function, Function + ":*", "arn:aws:lambda:*:111111111111:function:*", "arn:aws:lambda:us-east-1:111111111111:function:o*"];

    private static readonly Gen<string> GenStatement =
        Gen.Select(Gen.Bool, Gen.OneOf(ActionPatterns), Gen.OneOf(ResourcePatterns), (allow, action, resource) =>
            $$"""{"Effect":"{{(allow ? "Allow" : "Deny")}}","Action":"{{action}}","Resource":"{{resource}}"}""");

    private static readonly Gen<string> GenPolicy = GenStatement.Array[1, 4].Select(s => $$"""{"Version":"2012-10-17","Statement":[{{string.Join(",", s)}}]}""");

    [Fact]
    public void Property_ExplicitDenyMatchingTheRequest_AlwaysDenies()
    {
        Gen.Select(GenPolicy.Array[0, 3], Gen.OneOf(Actions), Gen.OneOf(Resources)).Sample((policies, action, resource) =>
        {
            var deny = Deny(action, resource);
            return !Decide(Alice, action, resource, policies.Append(deny)).Allowed;
        }, iter: 500);
    }

    [Fact]
    public void Property_AddingADeny_NeverGrantsMore()
    {
        Gen.Select(GenPolicy.Array[0, 3], GenStatement.Where(s => s.Contains("Deny", StringComparison.Ordinal)), Gen.OneOf(Actions), Gen.OneOf(Resources))
            .Sample((policies, denyStatement, action, resource) =>
            {
                var before = Decide(Alice, action, resource, policies).Allowed;
                var after = Decide(Alice, action, resource, policies.Append($$"""{"Version":"2012-10-17","Statement":[{{denyStatement}}]}""")).Allowed;
                return !after || before;
            }, iter: 500);
    }

    [Fact]
    public void Property_WithoutAnyAllow_ImplicitDeny()
    {
        Gen.Select(GenStatement.Where(s => s.Contains("Deny", StringComparison.Ordinal)).Array[0, 4], Gen.OneOf(Actions), Gen.OneOf(Resources))
            .Sample((denies, action, resource) =>
                !Decide(Alice, action, resource, [$$"""{"Version":"2012-10-17","Statement":[{{string.Join(",", denies.DefaultIfEmpty("""{"Effect":"Deny","Action":"x:y","Resource":"z"}"""))}}]}"""]).Allowed,
                iter: 300);
    }
}
