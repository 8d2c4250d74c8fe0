#nullable disable

namespace Amazon.Lambda.Core;

/// <summary>Client information sent with the invocation (the Invoke API's <c>X-Amz-Client-Context</c>).</summary>
public interface IClientContext
{
    /// <summary>Environment information provided by the mobile SDK (the <c>env</c> object).</summary>
    IDictionary<string, string> Environment { get; }

    /// <summary>The client application (the <c>client</c> object).</summary>
    IClientApplication Client { get; }

    /// <summary>Custom values set by the client (the <c>custom</c> object).</summary>
    IDictionary<string, string> Custom { get; }
}
