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

    /// <summary>Writes the AWS shared credentials and config files (profile <c>default</c>) atomically, mode 0600.</summary>
    public void WriteClientFiles(string accessKeyId, string secretAccessKey, string region, string endpointUrl)
    {
        WriteOwnerOnly(Credentials,
            $"[default]\naws_access_key_id = {accessKeyId}\naws_secret_access_key = {secretAccessKey}\n");
        WriteOwnerOnly(Config,
            $"[default]\nregion = {region}\nendpoint_url = {endpointUrl}\noutput = json\n");
    }

    private static void WriteOwnerOnly(string path, string content)
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
