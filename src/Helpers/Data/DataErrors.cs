namespace ModelSecurity.Data;

/// <summary>Shared wording for data-file errors: every message names the file and says what to do.</summary>
internal static class DataErrors
{
    /// <summary>
    /// " Re-download or restore the file (see …/README.md)." — pointing at the README next to the file when there is one.
    /// </summary>
    public static string RestoreHint(string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        string? readme = directory == null ? null : Path.Combine(directory, "README.md");
        return readme != null && File.Exists(readme)
            ? $" Re-download or restore the file (see {readme})."
            : " Re-download or restore the file.";
    }

    /// <summary>A <see cref="FileNotFoundException"/> that names the path and suggests what to do.</summary>
    public static FileNotFoundException NotFound(string path, string what, string advice)
    {
        string full = Path.GetFullPath(path);
        string problem = Directory.Exists(full) ? "is a folder, not a file" : "was not found";
        return new FileNotFoundException($"{full}: the {what} {problem}. {advice}", full);
    }

    /// <summary>Advice for a missing course data file.</summary>
    public const string MissingDataAdvice =
        "Check the path. The course's data files live under its data/ folder (see the README.md there); " +
        "restore a deleted shipped file with git (git checkout -- data/) or download it again.";
}
