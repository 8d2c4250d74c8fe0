namespace Lamina.Core.Kms;

/// <summary>The key policies KMS writes itself, in the layout KMS returns them.</summary>
internal static class KeyPolicies
{
    /// <summary>The default key policy: the account's root principal may do anything, so IAM policies decide.</summary>
    public static string Default(string accountId) =>
        $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{accountId}}:root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """;

    /// <summary>
    /// The policy of the AWS managed key <c>alias/aws/lambda</c>: every principal of the account may use it
    /// through Lambda (<c>kms:ViaService</c>), the account may read its metadata, and nobody may change,
    /// disable or delete it.
    /// </summary>
    public static string AwsLambda(string accountId, string region) =>
        $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "auto-awslambda",
          "Statement" : [ {
            "Sid" : "Allow access through AWS Lambda for all principals in the account that are authorized to use AWS Lambda",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "kms:CallerAccount" : "{{accountId}}",
                "kms:ViaService" : "lambda.{{region}}.amazonaws.com"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{accountId}}:root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
            "Resource" : "*"
          } ]
        }
        """;
}
