using System.Diagnostics;
using Lamina.Core.Functions;

namespace Lamina.Sandboxes;

/// <summary>How one runtime appears inside a sandbox: what is mounted at /var/runtime, the bootstrap to start, extra variables.</summary>
internal sealed record RuntimeLayout(
    string Runtime,
    IReadOnlyList<Mount> Mounts,
    IReadOnlyList<KeyValuePair<string, string>> Variables,
    string? ManagedBootstrap,
    string VersionLabel);

/// <summary>
/// Maps runtime identifiers to sandbox layouts: Lamina's own bootstraps for Node, Python and .NET
/// (from <c>runtimes/</c>), the interpreter's install tree when it lives outside /usr, and for Python
/// the host's boto3 and its dependencies, as AWS's managed Python runtime bundles them.
/// </summary>
internal sealed class RuntimeLayouts : IAsyncDisposable
{
    private readonly List<string> _hostMounts = [];

    private readonly RuntimeCatalog _catalog;
    private readonly string _runtimesDir;
    private readonly WorkDirectory _work;
    private readonly Dictionary<string, RuntimeLayout> _layouts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private IReadOnlyList<(string Name, string Path, bool IsFile)>? _pythonPackages;

    /// <summary>The pure-Python packages a managed Python runtime offers (boto3 and what it imports).</summary>
    private static readonly string[] PythonPackages = ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"];

    public RuntimeLayouts(RuntimeCatalog catalog, string runtimesDir, WorkDirectory work)
    {
        _catalog = catalog;
        _runtimesDir = runtimesDir;
        _work = work;
    }

    public string RuntimesDirectory => _runtimesDir;

    public RuntimeLayout For(string runtime)
    {
        lock (_lock)
        {
            if (!_layouts.TryGetValue(runtime, out var layout))
            {
                layout = Build(runtime);
                _layouts[runtime] = layout;
            }

            return layout;
        }
    }

    private RuntimeLayout Build(string runtime)
    {
        if (!_catalog.TryGet(runtime, out var info))
        {
            throw new InvalidOperationException($"Runtime {runtime} is not available on this host.");
        }

        var mounts = new List<Mount>();
        var variables = new List<KeyValuePair<string, string>>();
        if (info.Executable.Length > 0)
        {
            var prefix = InstallPrefix(info.Executable);
            if (prefix is null)
            {
                variables.Add(new("_LAMINA_INTERPRETER", info.Executable));
            }
            else if (ReadableByOthers(prefix))
            {
                variables.Add(new("_LAMINA_INTERPRETER", info.Executable));
                mounts.Add(new Mount(prefix, prefix));
            }
            else
            {
                // Installed under a private home (e.g. /root/.pyenv): sandbox users cannot reach it, so it is
                // bind-mounted on the host under the work directory and appears at /var/lang, where AWS keeps runtimes.
                var visible = HostBind(prefix, "lang-" + runtime);
                mounts.Add(new Mount(visible, "/var/lang"));
                variables.Add(new("_LAMINA_INTERPRETER", "/var/lang/" + Path.GetRelativePath(prefix, info.Executable)));
            }
        }

        switch (info.Family)
        {
            case "nodejs":
            {
                var dir = Path.Combine(_runtimesDir, "nodejs");
                mounts.Insert(0, new Mount(dir, "/var/runtime"));
                var major = runtime["nodejs".Length..].TrimEnd('x').TrimEnd('.');
                variables.Add(new("NODE_PATH", $"/opt/nodejs/node{major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"));
                return new RuntimeLayout(runtime, mounts, variables, "/var/runtime/bootstrap", $"nodejs:{major}.v1");
            }

            case "python":
            {
                // /var/runtime is a copy of runtimes/python with empty mount points for the host's packages.
                var dir = PreparePythonRuntime();
                mounts.Insert(0, new Mount(dir, "/var/runtime"));
                foreach (var (name, path, isFile) in PythonPackagesOnHost())
                {
                    mounts.Add(new Mount(Reachable(path), $"/var/runtime/python-packages/{name}", IsFile: isFile));
                }

                return new RuntimeLayout(runtime, mounts, variables, "/var/runtime/bootstrap", $"python:{runtime["python".Length..]}.v1");
            }

            case "dotnet":
            {
                // runtimes/dotnet/build.sh publishes the class-library host and the bootstrap here.
                var dir = Path.Combine(_runtimesDir, "dotnet", "publish");
                mounts.Insert(0, new Mount(dir, "/var/runtime"));
                variables.Add(new("_LAMINA_RUNTIME", runtime));
                return new RuntimeLayout(runtime, mounts, variables, "/var/runtime/bootstrap", $"dotnet:{runtime["dotnet".Length..]}.v1");
            }

            default:
            {
                // provided.*: the function brings its own bootstrap (/var/task/bootstrap or /opt/bootstrap).
                var empty = Path.Combine(_work.Support, "empty");
                Directory.CreateDirectory(empty);
                mounts.Insert(0, new Mount(empty, "/var/runtime"));
                return new RuntimeLayout(runtime, mounts, variables, null, $"provided:{runtime["provided.".Length..]}.v1");
            }
        }
    }

    private static bool ReadableByOthers(string path)
    {
        for (var dir = path; !string.IsNullOrEmpty(dir) && dir != "/"; dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A host path that sandbox users can open: the path itself when its directory is reachable by others,
    /// else the same file under a read-only bind of that directory in the work directory. The host's boto3
    /// usually sits in the site-packages of the <c>python3</c> on PATH, which may be a pyenv install under
    /// /root (mode 0700): mounted as is, bwrap (already running as the sandbox user) failed with "Can't find
    /// source path ...: Permission denied" and every Python function ended in Runtime.ExitError.
    /// </summary>
    private string Reachable(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (ReadableByOthers(dir))
        {
            return path;
        }

        var name = "pkgs-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dir)))[..12];
        var target = Path.Combine(_work.Support, name);
        if (!_hostMounts.Contains(target))
        {
            HostBind(dir, name);
        }

        return Path.Combine(target, Path.GetFileName(path));
    }

    private string HostBind(string source, string name)
    {
        var target = Path.Combine(_work.Support, name);
        Directory.CreateDirectory(target);
        HostCommands.CheckedAsync("mount", ["--bind", "-o", "ro", source, target]).GetAwaiter().GetResult();
        _hostMounts.Add(target);
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var mount in _hostMounts)
        {
            await HostCommands.RunAsync("umount", ["-l", mount]);
        }

        _hostMounts.Clear();
    }

    /// <summary>The install tree of an interpreter outside /usr (e.g. a pyenv version), mounted at the same path.</summary>
    private static string? InstallPrefix(string executable)
    {
        if (executable.StartsWith("/usr/", StringComparison.Ordinal))
        {
            return null;
        }

        var bin = Path.GetDirectoryName(executable);
        return bin is null ? null : Path.GetDirectoryName(bin);
    }

    private string PreparePythonRuntime()
    {
        var target = Path.Combine(_work.Support, "python-runtime");
        if (Directory.Exists(target))
        {
            return target;
        }

        var source = Path.Combine(_runtimesDir, "python");
        CopyTree(source, target);
        var packages = Path.Combine(target, "python-packages");
        Directory.CreateDirectory(packages);
        foreach (var (name, _, isFile) in PythonPackagesOnHost())
        {
            var point = Path.Combine(packages, name);
            if (isFile)
            {
                File.WriteAllBytes(point, []);
            }
            else
            {
                Directory.CreateDirectory(point);
            }
        }

        return target;
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("tests", StringComparison.Ordinal) || relative.Contains("__pycache__", StringComparison.Ordinal))
            {
                continue;
            }

            var destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
            File.SetUnixFileMode(destination, File.GetUnixFileMode(file) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        foreach (var dir in Directory.EnumerateDirectories(target, "*", SearchOption.AllDirectories).Prepend(target))
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                                      UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>Where the host's python3 keeps boto3 and its dependencies (found once, by asking python3).</summary>
    private IReadOnlyList<(string Name, string Path, bool IsFile)> PythonPackagesOnHost()
    {
        if (_pythonPackages is not null)
        {
            return _pythonPackages;
        }

        var found = new List<(string, string, bool)>();
        var script = "import importlib.util,sys\n" +
                     "for n in sys.argv[1:]:\n" +
                     "  s=importlib.util.find_spec(n)\n" +
                     "  if s and s.origin: print(n+'\\t'+(s.submodule_search_locations[0] if s.submodule_search_locations else s.origin))\n";
        try
        {
            var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            foreach (var package in PythonPackages)
            {
                info.ArgumentList.Add(package);
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split('\t');
                var isFile = parts[1].EndsWith(".py", StringComparison.Ordinal);
                found.Add((isFile ? Path.GetFileName(parts[1]) : parts[0], parts[1], isFile));
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No python3 on the host: functions get no bundled boto3.
        }

        _pythonPackages = found;
        return found;
    }
}
