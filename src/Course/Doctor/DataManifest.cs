using ModelSecurity.Data;

namespace ModelSecurity.Cli.Doctor;

/// <summary>
/// data/SHA256SUMS: the SHA-256 of every data file the course ships (the Fashion-MNIST archives and everything in
/// checkpoints/), in <c>sha256sum</c> format with paths relative to data/, so that <c>cd data &amp;&amp; sha256sum -c SHA256SUMS</c>
/// verifies it too. Documentation (README, LICENSE, COPYRIGHT, *.md) and results/ are left out: they are text that
/// changes with the course and that git may check out with other line endings.
/// Regenerate after changing a shipped file on purpose: <c>course doctor --update-manifest</c>.
/// </summary>
internal static class DataManifest
{
    /// <summary>The manifest's file name in the data folder.</summary>
    public const string FileName = "SHA256SUMS";

    /// <summary>The folders of data/ whose files are listed.</summary>
    public static readonly string[] Folders = ["checkpoints", "fashion-mnist"];

    /// <summary>The files the manifest should list, relative to <paramref name="dataDirectory"/> with '/' separators, sorted.</summary>
    public static IReadOnlyList<string> ShippedFiles(string dataDirectory) =>
        Folders.Select(f => Path.Combine(dataDirectory, f)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(IsData)
            .Select(f => Path.GetRelativePath(dataDirectory, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Writes the manifest of <paramref name="dataDirectory"/>; returns how many files it lists.</summary>
    public static int Write(string dataDirectory)
    {
        var files = ShippedFiles(dataDirectory);
        var lines = files.Select(f => $"{Checksums.Sha256(Path.Combine(dataDirectory, f))}  {f}");
        IO.AtomicFile.WriteAllText(Path.Combine(dataDirectory, FileName), string.Join("\n", lines) + "\n");
        return files.Count;
    }

    /// <summary>Compares the files with the manifest: the mismatched, the missing and the unlisted ones.</summary>
    public static (int Listed, IReadOnlyList<string> Mismatched, IReadOnlyList<string> Missing, IReadOnlyList<string> Unlisted) Verify(string dataDirectory)
    {
        var sums = Checksums.ReadSums(Path.Combine(dataDirectory, FileName));
        var mismatched = new List<string>();
        var missing = new List<string>();
        foreach (var (file, sha) in sums.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string path = Path.Combine(dataDirectory, file);
            if (!File.Exists(path)) missing.Add(file);
            else if (Checksums.Sha256(path) != sha) mismatched.Add(file);
        }
        var unlisted = ShippedFiles(dataDirectory).Where(f => !sums.ContainsKey(f)).ToList();
        return (sums.Count, mismatched, missing, unlisted);
    }

    private static bool IsData(string path)
    {
        string name = Path.GetFileName(path);
        return !name.StartsWith('.') && name != FileName && !name.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
               && !name.StartsWith("LICENSE", StringComparison.Ordinal) && !name.StartsWith("COPYRIGHT", StringComparison.Ordinal);
    }
}
