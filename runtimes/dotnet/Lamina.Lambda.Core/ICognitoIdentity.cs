#nullable disable

namespace Amazon.Lambda.Core;

/// <summary>The Amazon Cognito identity that invoked the function.</summary>
public interface ICognitoIdentity
{
    /// <summary>The Cognito identity id.</summary>
    string IdentityId { get; }

    /// <summary>The Cognito identity pool id.</summary>
    string IdentityPoolId { get; }
}
