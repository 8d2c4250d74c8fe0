using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Lamina.Core.Functions;

/// <summary>A runtime this host can actually run, and the interpreter that runs it.</summary>
/// <param name="Name">The Lambda identifier, e.g. <c>python3.11</c>.</param>
/// <param name="Family"><c>nodejs</c>, <c>python</c>, <c>dotnet</c> or <c>provided</c>.</param>
/// <param name="Executable">Absolute path of the interpreter on the host; empty for <c>provided.*</c>.</param>
/// <param name="Version">Full version of the interpreter, e.g. <c>3.11.7</c>.</param>
internal sealed record RuntimeInfo(string Name, string Family, string Executable, string Version);

/// <summary>
/// The runtimes Lamina offers on this host: those whose interpreter is installed (Node majors, Python
/// 3.9+ minors, the .NET shared runtime) plus the OS-only <c>provided.*</c> runtimes. CreateFunction
/// rejects others with a message that says what is available.
/// </summary>
internal sealed partial class RuntimeCatalog
{
    private readonly Dictionary<string, RuntimeInfo> _runtimes;

    public RuntimeCatalog(IEnumerable<RuntimeInfo> runtimes)
    {
        _runtimes = runtimes.ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    /// <summary>Every runtime identifier the Lambda model knows (botocore lambda 2015-03-31, enum Runtime).</summary>
    public static readonly IReadOnlyList<string> ModelRuntimes =
    [
        "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "java8",
        "java8.al2", "java11", "python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "dotnetcore1.0", "dotnetcore2.0",
        "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "provided",
        "provided.al2", "nodejs18.x", "python3.10", "java17", "ruby3.2", "ruby3.3", "ruby3.4", "python3.11", "nodejs20.x",
        "provided.al2023", "python3.12", "java21", "python3.13", "nodejs22.x", "nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0",
    ];

    /// <summary>Runtimes AWS no longer accepts for create/update, with AWS's recommended replacement.</summary>
    public static readonly IReadOnlyDictionary<string, string> Deprecated = new Dictionary<string, string>
    {
        ["nodejs"] = "nodejs20.x", ["nodejs4.3"] = "nodejs20.x", ["nodejs6.10"] = "nodejs20.x", ["nodejs8.10"] = "nodejs20.x",
        ["nodejs10.x"] = "nodejs20.x", ["nodejs12.x"] = "nodejs20.x", ["nodejs14.x"] = "nodejs20.x", ["nodejs16.x"] = "nodejs20.x",
        ["nodejs4.3-edge"] = "nodejs20.x", ["python2.7"] = "python3.12", ["python3.6"] = "python3.12", ["python3.7"] = "python3.12",
        ["python3.8"] = "python3.12", ["dotnetcore1.0"] = "dotnet8", ["dotnetcore2.0"] = "dotnet8", ["dotnetcore2.1"] = "dotnet8",
        ["dotnetcore3.1"] = "dotnet8", ["dotnet6"] = "dotnet8", ["go1.x"] = "provided.al2023", ["provided"] = "provided.al2023",
        ["ruby2.5"] = "ruby3.2", ["ruby2.7"] = "ruby3.2", ["java8"] = "java21",
    };

    public IReadOnlyCollection<RuntimeInfo> All => _runtimes.Values;

    public IEnumerable<string> Names => _runtimes.Keys.Order(StringComparer.Ordinal);

    public bool TryGet(string name, out RuntimeInfo runtime) => _runtimes.TryGetValue(name, out runtime!);

    public bool IsSupported(string name) => _runtimes.ContainsKey(name);

    /// <summary>Looks for interpreters on this host. Takes a few tens of milliseconds (one <c>node --version</c>).</summary>
    public static RuntimeCatalog Detect()
    {
        var found = new List<RuntimeInfo>
        {
            new("provided.al2023", "provided", "", "al2023"),
            new("provided.al2", "provided", "", "al2"),
        };

        if (FindOnPath("node") is { } node && RunForOutput(node, "--version") is { } nodeVersion)
        {
            var match = NodeVersion().Match(nodeVersion);
            if (match.Success)
            {
                var name = $"nodejs{match.Groups[1].Value}.x";
                if (ModelRuntimes.Contains(name) && !Deprecated.ContainsKey(name))
                {
                    found.Add(new RuntimeInfo(name, "nodejs", ResolveLink(node), nodeVersion.Trim().TrimStart('v')));
                }
            }
        }

        foreach (var (name, path, version) in FindPythons())
        {
            if (ModelRuntimes.Contains(name) && !Deprecated.ContainsKey(name) && found.All(r => r.Name != name))
            {
                found.Add(new RuntimeInfo(name, "python", path, version));
            }
        }

        if (FindOnPath("dotnet") is { } dotnet)
        {
            var root = Path.GetDirectoryName(ResolveLink(dotnet))!;
            var shared = Path.Combine(root, "shared", "Microsoft.NETCore.App");
            if (Directory.Exists(shared))
            {
                foreach (var dir in Directory.GetDirectories(shared).Order(StringComparer.Ordinal))
                {
                    var version = Path.GetFileName(dir);
                    var major = version.Split('.')[0];
                    var name = $"dotnet{major}";
                    if (ModelRuntimes.Contains(name) && !Deprecated.ContainsKey(name))
                    {
                        found.RemoveAll(r => r.Name == name);
                        found.Add(new RuntimeInfo(name, "dotnet", ResolveLink(dotnet), version));
                    }
                }
            }
        }

        return new RuntimeCatalog(found);
    }

    [GeneratedRegex(@"^v(\d+)\.")]
    private static partial Regex NodeVersion();

    [GeneratedRegex(@"^python(3\.\d+)$")]
    private static partial Regex PythonName();

    private static IEnumerable<(string Name, string Path, string Version)> FindPythons()
    {
        var candidates = new List<string>();
        var pyenvRoot = Environment.GetEnvironmentVariable("PYENV_ROOT") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
        var versions = Path.Combine(pyenvRoot, "versions");
        if (Directory.Exists(versions))
        {
            foreach (var dir in Directory.GetDirectories(versions))
            {
                var bin = Path.Combine(dir, "bin");
                if (Directory.Exists(bin))
                {
                    candidates.AddRange(Directory.GetFiles(bin, "python3.*"));
                }
            }
        }

        foreach (var dir in new[] { "/usr/local/bin", "/usr/bin" })
        {
            if (Directory.Exists(dir))
            {
                candidates.AddRange(Directory.GetFiles(dir, "python3.*"));
            }
        }

        foreach (var path in candidates)
        {
            var match = PythonName().Match(Path.GetFileName(path));
            if (!match.Success)
            {
                continue;
            }

            var minor = match.Groups[1].Value;
            var parts = minor.Split('.');
            if (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) < 9)
            {
                continue;
            }

            // pyenv keeps the full version in its directory name (e.g. 3.11.7); elsewhere the minor is enough.
            var dirName = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path)) ?? "");
            var version = dirName.StartsWith(minor + ".", StringComparison.Ordinal) ? dirName : minor;
            yield return ($"python{minor}", ResolveLink(path), version);
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string ResolveLink(string path)
    {
        var info = new FileInfo(path);
        return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
    }

    private static string? RunForOutput(string file, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, argument)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            return process.WaitForExit(5000) && process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
