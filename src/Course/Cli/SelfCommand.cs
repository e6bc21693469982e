using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Cli;

/// <summary>How to start this CLI again from another process: the grading worker, and the Jupyter kernel's kernel.json.</summary>
internal static class SelfCommand
{
    /// <summary>
    /// The program and leading arguments that run <c>course</c>: its apphost when this process is it and
    /// <paramref name="preferAppHost"/>, else <c>dotnet exec</c> on course.dll with its runtimeconfig and deps files
    /// (found next to it, or the entry assembly's when the CLI runs in-process inside a test host).
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Prefix) Resolve(bool preferAppHost)
    {
        string assembly = typeof(SelfCommand).Assembly.Location;
        string dir = Path.GetDirectoryName(assembly)!;
        string? process = Environment.ProcessPath;
        if (preferAppHost && process is not null && Path.GetFileNameWithoutExtension(process) == "course") return (process, []);
        var prefix = new List<string> { "exec" };
        string? runtimeConfig = Beside(dir, "course.runtimeconfig.json", ".runtimeconfig.json");
        if (runtimeConfig is not null) { prefix.Add("--runtimeconfig"); prefix.Add(runtimeConfig); }
        string? deps = Beside(dir, "course.deps.json", ".deps.json");
        if (deps is not null) { prefix.Add("--depsfile"); prefix.Add(deps); }
        prefix.Add(assembly);
        return (AbsoluteHost(), prefix);
    }

    /// <summary>The dotnet host as an absolute path when it can be found (a kernel started by Jupyter may have another PATH).</summary>
    private static string AbsoluteHost()
    {
        string host = NuGetRestorer.DotnetHost();
        if (Path.IsPathRooted(host)) return host;
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        // The runtime this process runs on: <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        string? root = Directory.GetParent(Path.GetDirectoryName(typeof(object).Assembly.Location)!)?.Parent?.Parent?.FullName;
        if (root is not null && File.Exists(Path.Combine(root, exe))) return Path.Combine(root, exe);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, exe))) return Path.Combine(dir, exe);
        return host;
    }

    /// <summary>The whole command line as one list (program first).</summary>
    public static IReadOnlyList<string> CommandLine(bool preferAppHost)
    {
        var (fileName, prefix) = Resolve(preferAppHost);
        return [fileName, .. prefix];
    }

    private static string? Beside(string dir, string fileName, string entryExtension)
    {
        string own = Path.Combine(dir, fileName);
        if (File.Exists(own)) return own;
        string? entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        string? alternative = string.IsNullOrEmpty(entry) ? null : Path.ChangeExtension(entry, entryExtension);
        return alternative is not null && File.Exists(alternative) ? alternative : null;
    }
}
