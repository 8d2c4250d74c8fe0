namespace Lamina.Hosting;

/// <summary>
/// The on-disk layout of one Lamina installation. Everything here is owner-only: the database, the
/// master key, the sealed blobs and the shared credentials file.
/// </summary>
internal sealed class DataDirectory(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Database => Path.Combine(Root, "lamina.db");

    public string MasterKey => Path.Combine(Root, "master.key");

    public string Blobs => Path.Combine(Root, "blobs");

    public string Credentials => Path.Combine(Root, "credentials");

    public string Config => Path.Combine(Root, "config");

    /// <summary>The generated TLS certificates: <c>ca.pem</c> (what clients trust), <c>ca.key</c>, <c>server.pem</c>, <c>server.key</c>.</summary>
    public string Tls => Path.Combine(Root, "tls");

    public string CaCertificate => Path.Combine(Tls, "ca.pem");
    /// <summary>Audit log files and signed digests (<c>audit/BUCKET/AWSLogs/...</c>).</summary>
    public string Audit => Path.Combine(Root, "audit");

    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("LAMINA_DATA_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".lamina");

    public void EnsureCreated()
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(Root, OwnerOnly);
        File.SetUnixFileMode(Root, OwnerOnly);
        Directory.CreateDirectory(Blobs, OwnerOnly);
    }

    /// <summary>
    /// Writes the AWS shared credentials and config files (profile <c>default</c>) atomically, mode 0600; with a
    /// generated TLS certificate the config names its CA (<c>ca_bundle</c>) so the CLI and SDKs trust it.
    /// </summary>
    public void WriteClientFiles(string accessKeyId, string secretAccessKey, string region, string endpointUrl, string? caBundle = null)
    {
        WriteOwnerOnly(Credentials,
            $"[default]\naws_access_key_id = {accessKeyId}\naws_secret_access_key = {secretAccessKey}\n");
        WriteOwnerOnly(Config,
            $"[default]\nregion = {region}\nendpoint_url = {endpointUrl}\n{(caBundle is null ? "" : $"ca_bundle = {caBundle}\n")}output = json\n");
    }

    /// <summary>Writes a file atomically (temporary name, then rename) with mode 0600 from the start.</summary>
    public static void WriteOwnerOnly(string path, string content)
    {
        var tmp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(tmp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
    }
}
