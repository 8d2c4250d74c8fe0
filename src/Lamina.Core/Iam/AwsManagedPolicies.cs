namespace Lamina.Core.Iam;

/// <summary>
/// The AWS managed policies Lambda users rely on, built in under <c>arn:aws:iam::aws:policy/...</c>.
/// Their statements follow the AWS documentation of each policy, limited to actions Lamina serves.
/// </summary>
internal static class AwsManagedPolicies
{
    public sealed record Entry(string Name, string Path, string Description, string Document)
    {
        public string Arn => $"arn:aws:iam::aws:policy{Path}{Name}";
    }

    public static readonly IReadOnlyList<Entry> All =
    [
        new("AWSLambdaBasicExecutionRole", "/service-role/", "Provides write permissions to CloudWatch Logs.", """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}
            """),
        new("AWSLambdaBasicDurableExecutionRolePolicy", "/service-role/",
            "Provides write permissions to CloudWatch Logs and the checkpoint permissions durable functions need.", """
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"},
              {"Effect":"Allow","Action":["lambda:CheckpointDurableExecution","lambda:GetDurableExecutionState"],"Resource":"*"}]}
            """),
        new("AWSLambda_FullAccess", "/", "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.", """
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["lambda:*"],"Resource":"*"},
              {"Effect":"Allow","Action":["iam:GetRole","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles"],"Resource":"*"},
              {"Effect":"Allow","Action":["iam:PassRole"],"Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
              {"Effect":"Allow","Action":["logs:DescribeLogGroups","logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents","logs:StartQuery","logs:GetQueryResults"],"Resource":"*"},
              {"Effect":"Allow","Action":["kms:ListAliases"],"Resource":"*"}]}
            """),
        new("AWSLambda_ReadOnlyAccess", "/", "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other related AWS services.", """
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["lambda:Get*","lambda:List*"],"Resource":"*"},
              {"Effect":"Allow","Action":["iam:GetRole","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles"],"Resource":"*"},
              {"Effect":"Allow","Action":["logs:DescribeLogGroups","logs:DescribeLogStreams","logs:GetLogEvents","logs:FilterLogEvents"],"Resource":"*"},
              {"Effect":"Allow","Action":["kms:ListAliases"],"Resource":"*"}]}
            """),
        new("AWSLambdaRole", "/service-role/", "Default policy for AWS Lambda service role.", """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:InvokeFunction"],"Resource":["*"]}]}
            """),
        new("AdministratorAccess", "/", "Provides full access to AWS services and resources.", """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}
            """),
        new("ReadOnlyAccess", "/", "Provides read-only access to AWS services and resources.", """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:Get*","lambda:List*","iam:Get*","iam:List*","logs:Describe*","logs:Get*","logs:FilterLogEvents","kms:Describe*","kms:List*","cloudtrail:LookupEvents","cloudtrail:Describe*","cloudtrail:Get*"],"Resource":"*"}]}
            """),
        new("IAMFullAccess", "/", "Provides full access to IAM via the AWS Management Console.", """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*"],"Resource":"*"}]}
            """),
    ];

    private static readonly Dictionary<string, (Entry Entry, PolicyDocument Parsed)> ByArn =
        All.ToDictionary(e => e.Arn, e => (e, PolicyDocument.Parse(e.Document)), StringComparer.Ordinal);

    public static bool TryGet(string arn, out Entry entry, out PolicyDocument document)
    {
        if (ByArn.TryGetValue(arn, out var found))
        {
            entry = found.Entry;
            document = found.Parsed;
            return true;
        }

        entry = null!;
        document = null!;
        return false;
    }

    public static bool IsAwsManaged(string arn) => arn.StartsWith("arn:aws:iam::aws:policy/", StringComparison.Ordinal);
}
