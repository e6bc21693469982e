namespace ModelSecurity.Kernel.Install;

/// <summary>An installed kernelspec found on Jupyter's search path.</summary>
/// <param name="Name">Kernel name (the folder's name).</param>
/// <param name="Directory">The kernelspec folder.</param>
/// <param name="Spec">Its kernel.json.</param>
/// <param name="Shadowed">True when a folder earlier on the search path has a kernel of the same name (Jupyter uses that one).</param>
public sealed record InstalledKernel(string Name, string Directory, KernelSpec Spec, bool Shadowed);

/// <summary>Installs, removes and lists kernelspecs in Jupyter's data folders.</summary>
public static class KernelSpecStore
{
    /// <summary>A small logo for kernel pickers (JupyterLab's launcher shows <c>logo-svg.svg</c>).</summary>
    private const string Logo = """
        <svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
          <rect width="64" height="64" rx="10" fill="#512bd4"/>
          <text x="32" y="42" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="28" font-weight="700" fill="#fff" text-anchor="middle">C#</text>
        </svg>
        """;

    /// <summary>Writes <paramref name="spec"/> as <c>&lt;dataDir&gt;/kernels/&lt;name&gt;/kernel.json</c> (replacing what was there); returns the folder and the spec it replaced, if any.</summary>
    public static (string Directory, KernelSpec? Replaced) Install(KernelSpec spec, string name, string dataDir)
    {
        ValidateName(name);
        string dir = JupyterPaths.KernelDir(dataDir, name);
        string file = Path.Combine(dir, "kernel.json");
        var replaced = File.Exists(file) ? KernelSpec.TryLoad(file) : null;
        Directory.CreateDirectory(dir);
        string temp = file + ".tmp";
        File.WriteAllText(temp, spec.ToJson() + "\n");
        File.Move(temp, file, overwrite: true);
        File.WriteAllText(Path.Combine(dir, "logo-svg.svg"), Logo);
        return (dir, replaced);
    }

    /// <summary>Every kernelspec on the search path, in search order.</summary>
    public static IReadOnlyList<InstalledKernel> List(IReadOnlyList<string>? searchPath = null)
    {
        var found = new List<InstalledKernel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string dataDir in searchPath ?? JupyterPaths.SearchPath())
        {
            string kernels = Path.Combine(dataDir, "kernels");
            if (!Directory.Exists(kernels)) continue;
            foreach (string dir in Directory.EnumerateDirectories(kernels).Order(StringComparer.Ordinal))
            {
                var spec = KernelSpec.TryLoad(Path.Combine(dir, "kernel.json"));
                if (spec is null) continue;
                string name = Path.GetFileName(dir).ToLowerInvariant();
                found.Add(new InstalledKernel(Path.GetFileName(dir), dir, spec, !seen.Add(name)));
            }
        }
        return found;
    }

    /// <summary>Removes a kernelspec folder written by the course; false when there is none. A foreign spec (e.g. .NET Interactive's) is left alone unless <paramref name="force"/>.</summary>
    /// <exception cref="InvalidOperationException">The folder holds another program's kernelspec and <paramref name="force"/> is false.</exception>
    public static bool Uninstall(string name, string dataDir, bool force = false)
    {
        ValidateName(name);
        string dir = JupyterPaths.KernelDir(dataDir, name);
        string file = Path.Combine(dir, "kernel.json");
        if (!File.Exists(file)) return false;
        var spec = KernelSpec.TryLoad(file);
        if (spec is not { IsCourseKernel: true } && !force)
            throw new InvalidOperationException($"{dir} was not installed by 'course kernel install' (argv: {string.Join(" ", spec?.Argv ?? [])}); " +
                                                "use --force to remove it anyway");
        Directory.Delete(dir, recursive: true);
        return true;
    }

    private static void ValidateName(string name)
    {
        // Jupyter's rule: ASCII letters, digits, '.', '_', '-'.
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) || name is "." or "..")
            throw new ArgumentException($"'{name}' is not a valid kernel name (letters, digits, '.', '_', '-')");
    }
}
