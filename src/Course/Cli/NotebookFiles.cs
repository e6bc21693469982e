namespace ModelSecurity.Cli;

/// <summary>Finds the notebooks a command works on.</summary>
internal static class NotebookFiles
{
    /// <summary>
    /// A notebook file, or every <c>.ipynb</c> directly in a folder in name order.
    /// </summary>
    /// <exception cref="UsageException">The path does not exist or is not a notebook.</exception>
    public static (IReadOnlyList<string> Files, bool IsFolder) Resolve(string path, bool skipExercises = false)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*.ipynb")
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Where(f => !skipExercises || !f.EndsWith(".exercise.ipynb", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
            return (files, true);
        }
        if (File.Exists(path)) return ([path], false);
        throw new UsageException($"'{path}' does not exist");
    }
}
