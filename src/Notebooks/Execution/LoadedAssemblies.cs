using System.Reflection;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Assemblies the engine process already has (loaded, or on its trusted platform list). A reference to another copy
/// of one of them is redirected to the engine's copy, so that types such as <c>TorchSharp.torch.Tensor</c> keep one
/// identity between notebook code and the engine's formatters and helpers.
/// </summary>
public static class LoadedAssemblies
{
    private static readonly Lazy<Dictionary<string, string>> TrustedPlatform = new(() =>
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
            foreach (string path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                map.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        return map;
    });

    /// <summary>The file of the engine's own copy of the assembly named <paramref name="simpleName"/>, or null.</summary>
    public static string? FindEnginePath(string simpleName)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location)) continue;
            if (string.Equals(assembly.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
                return assembly.Location;
        }
        return TrustedPlatform.Value.TryGetValue(simpleName, out string? path) && File.Exists(path) ? path : null;
    }

    /// <summary>
    /// The path to reference for <paramref name="path"/>: the engine's copy when it has an assembly of the same simple
    /// name, otherwise <paramref name="path"/> itself.
    /// </summary>
    public static string PreferEngineCopy(string path)
    {
        string simpleName;
        try
        {
            simpleName = AssemblyName.GetAssemblyName(path).Name ?? Path.GetFileNameWithoutExtension(path);
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            return path;
        }
        return FindEnginePath(simpleName) ?? path;
    }

    /// <summary>The framework's own assemblies (System.*, netstandard, ...), referenced by every notebook.</summary>
    public static IEnumerable<string> FrameworkAssemblies()
    {
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return TrustedPlatform.Value.Values
            .Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal))
            .Where(p =>
            {
                try { AssemblyName.GetAssemblyName(p); return true; }
                catch (BadImageFormatException) { return false; }
            })
            .Order(StringComparer.Ordinal);
    }
}
