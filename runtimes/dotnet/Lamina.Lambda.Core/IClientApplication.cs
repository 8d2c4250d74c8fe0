#nullable disable

namespace Amazon.Lambda.Core;

/// <summary>The application that invoked the function, as described by its client context.</summary>
public interface IClientApplication
{
    /// <summary>The application's package name.</summary>
    string AppPackageName { get; }

    /// <summary>The application's title.</summary>
    string AppTitle { get; }

    /// <summary>The application's version code.</summary>
    string AppVersionCode { get; }

    /// <summary>The application's version name.</summary>
    string AppVersionName { get; }

    /// <summary>The installation id.</summary>
    string InstallationId { get; }
}
