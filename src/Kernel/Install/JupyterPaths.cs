namespace ModelSecurity.Kernel.Install;

/// <summary>
/// Jupyter's data folders, by the rules of <c>jupyter --data-dir</c> / <c>jupyter --paths</c> (jupyter_core):
/// kernelspecs live in <c>&lt;data dir&gt;/kernels/&lt;name&gt;/kernel.json</c>.
/// </summary>
public static class JupyterPaths
{
    /// <summary>
    /// The user's data folder: <c>$JUPYTER_DATA_DIR</c>, else <c>~/.local/share/jupyter</c> on Linux
    /// (<c>$XDG_DATA_HOME/jupyter</c> when set), <c>~/Library/Jupyter</c> on macOS, <c>%APPDATA%\jupyter</c> on Windows.
    /// </summary>
    public static string UserDataDir()
    {
        string? env = Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsWindows())
        {
            string appData = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData);
            return Path.Combine(appData.Length > 0 ? appData : Path.Combine(home, ".jupyter"), "jupyter");
        }
        if (OperatingSystem.IsMacOS()) return Path.Combine(home, "Library", "Jupyter");
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "jupyter");
    }

    /// <summary>The system-wide data folder (<c>jupyter kernelspec install</c>'s default): <c>/usr/local/share/jupyter</c>, <c>%PROGRAMDATA%\jupyter</c> on Windows.</summary>
    public static string SystemDataDir() => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "jupyter")
        : "/usr/local/share/jupyter";

    /// <summary>The data folder under an installation prefix: <c>&lt;prefix&gt;/share/jupyter</c> (<c>--prefix</c>, <c>--sys-prefix</c>).</summary>
    public static string PrefixDataDir(string prefix) => Path.Combine(Path.GetFullPath(prefix), "share", "jupyter");

    /// <summary>
    /// Where Jupyter looks for kernelspecs, first match wins: <c>$JUPYTER_PATH</c> entries, the user folder,
    /// the active virtual environment's <c>share/jupyter</c> (<c>$VIRTUAL_ENV</c>, <c>$CONDA_PREFIX</c>), then the system folders.
    /// </summary>
    public static IReadOnlyList<string> SearchPath()
    {
        var dirs = new List<string>();
        string? jupyterPath = Environment.GetEnvironmentVariable("JUPYTER_PATH");
        if (!string.IsNullOrEmpty(jupyterPath))
            dirs.AddRange(jupyterPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(UserDataDir());
        foreach (string variable in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } env) dirs.Add(PrefixDataDir(env));
        if (OperatingSystem.IsWindows()) dirs.Add(SystemDataDir());
        else dirs.AddRange(["/usr/local/share/jupyter", "/usr/share/jupyter"]);
        return dirs.Select(d => Path.GetFullPath(d)).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The kernelspec folder of <paramref name="name"/> under a data folder.</summary>
    public static string KernelDir(string dataDir, string name) => Path.Combine(dataDir, "kernels", name);
}
