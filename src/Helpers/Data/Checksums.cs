using System.Security.Cryptography;

namespace ModelSecurity.Data;

/// <summary>
/// SHA-256 checksums of data files: computing them, reading <c>sha256sum</c> lists (SHA256SUMS) and
/// refusing files that do not match.
/// </summary>
public static class Checksums
{
    /// <summary>Lowercase hexadecimal SHA-256 of a file's bytes.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string Sha256(string path) => Hash(path, SHA256.HashData);

    /// <summary>Lowercase hexadecimal MD5 of a file's bytes (only for comparing with published MD5 lists; MD5 is broken as a security check).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string Md5(string path) => Hash(path, MD5.HashData);

    /// <summary>
    /// Parses the output of <c>sha256sum</c>: lines "&lt;hex&gt;  &lt;name&gt;" (text mode) or "&lt;hex&gt; *&lt;name&gt;" (binary mode).
    /// Blank lines and lines starting with # are skipped; names keep their spelling (a leading "./" is dropped);
    /// hashes are returned in lowercase.
    /// </summary>
    /// <param name="sha256SumsPath">Path of the list, usually a file named SHA256SUMS.</param>
    /// <returns>File name to lowercase SHA-256, compared ordinally.</returns>
    /// <exception cref="FileNotFoundException">The list does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is malformed or names a file twice; the message gives the line number.</exception>
    public static IReadOnlyDictionary<string, string> ReadSums(string sha256SumsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(sha256SumsPath);
        string full = Path.GetFullPath(sha256SumsPath);
        if (!File.Exists(full))
            throw DataErrors.NotFound(full, "checksum list", DataErrors.MissingDataAdvice);

        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] lines = File.ReadAllLines(full);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            bool escaped = line.StartsWith('\\'); // sha256sum escapes names containing '\' or a newline this way
            if (escaped) line = line[1..];
            if (line.Length < 67 || !IsHex(line.AsSpan(0, 64)) || line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
                throw new InvalidDataException(
                    $"{full}, line {i + 1}: expected \"<64 hex digits>  <file name>\" (sha256sum output), found \"{Shorten(line)}\". " +
                    "Regenerate the list with: sha256sum <files> > SHA256SUMS, or restore it.");
            string name = line[66..];
            if (escaped) name = name.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            if (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
            if (!sums.TryAdd(name, line[..64].ToLowerInvariant()))
                throw new InvalidDataException($"{full}, line {i + 1}: \"{name}\" is listed twice. Keep one line per file.");
        }
        return sums;
    }

    /// <summary>
    /// Checks a file against its expected SHA-256.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="expectedSha256">Expected hash, 64 hexadecimal digits (any case).</param>
    /// <exception cref="ArgumentException"><paramref name="expectedSha256"/> is not 64 hexadecimal digits.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The hash differs: the file is corrupt or was tampered with.</exception>
    public static void Verify(string path, string expectedSha256)
    {
        string expected = NormalizeHex(expectedSha256, 64, nameof(expectedSha256));
        string actual = Sha256(path);
        if (actual != expected)
            throw Mismatch(Path.GetFullPath(path), "SHA-256", expected, actual);
    }

    /// <summary>Checks a file against an expected MD5 (only where nothing better is published).</summary>
    internal static void VerifyMd5(string path, string expectedMd5)
    {
        string expected = NormalizeHex(expectedMd5, 32, nameof(expectedMd5));
        string actual = Md5(path);
        if (actual != expected)
            throw Mismatch(Path.GetFullPath(path), "MD5", expected, actual);
    }

    internal static InvalidDataException Mismatch(string fullPath, string algorithm, string expected, string actual) =>
        new($"{fullPath}: {algorithm} mismatch: expected {expected}, actual {actual}. The file is corrupt or has been tampered with; " +
            "do not use it. Restore it: for a file shipped with the course, git checkout -- <file> (or copy it again from the " +
            "course repository); for a downloaded file, delete it and download it again.");

    internal static string NormalizeHex(string hex, int digits, string parameter)
    {
        ArgumentNullException.ThrowIfNull(hex, parameter);
        string trimmed = hex.Trim();
        if (trimmed.Length != digits || !IsHex(trimmed))
            throw new ArgumentException($"Expected a checksum of {digits} hexadecimal digits, got \"{Shorten(hex)}\".", parameter);
        return trimmed.ToLowerInvariant();
    }

    private static string Hash(string path, Func<Stream, byte[]> hash)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw DataErrors.NotFound(full, "file to checksum", DataErrors.MissingDataAdvice);
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(hash(stream));
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
