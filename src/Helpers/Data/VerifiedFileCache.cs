using System.Collections.Concurrent;

namespace ModelSecurity.Data;

/// <summary>
/// Remembers, for the life of the process, which files already matched their checksum, so that loading a data set
/// twice does not hash tens of megabytes twice. An entry is keyed on the full path, length and last write time
/// (and the expected hash); any change to the file therefore triggers a new check.
/// </summary>
internal static class VerifiedFileCache
{
    private readonly record struct Key(string Path, long Length, DateTime LastWriteUtc, string Algorithm, string Expected);

    private static readonly ConcurrentDictionary<Key, bool> Verified = new();
    private static readonly ConcurrentDictionary<string, int> Hashes = new(StringComparer.Ordinal);

    /// <summary>Same as <see cref="Checksums.Verify"/>, skipped when this exact file version already passed.</summary>
    public static void VerifySha256(string path, string expectedSha256) =>
        Verify(path, "SHA-256", Checksums.NormalizeHex(expectedSha256, 64, nameof(expectedSha256)), Checksums.Verify);

    /// <summary>MD5 counterpart of <see cref="VerifySha256"/>.</summary>
    public static void VerifyMd5(string path, string expectedMd5) =>
        Verify(path, "MD5", Checksums.NormalizeHex(expectedMd5, 32, nameof(expectedMd5)), Checksums.VerifyMd5);

    /// <summary>How many times this process hashed the file at <paramref name="path"/> through the cache (for tests).</summary>
    public static int HashCount(string path) => Hashes.TryGetValue(Path.GetFullPath(path), out int n) ? n : 0;

    private static void Verify(string path, string algorithm, string expected, Action<string, string> verify)
    {
        string full = Path.GetFullPath(path);
        Key? before = KeyOf(full, algorithm, expected);
        if (before is { } known && Verified.ContainsKey(known)) return;
        Hashes.AddOrUpdate(full, 1, (_, n) => n + 1);
        verify(full, expected); // throws when the file is missing or differs
        // Remember only if the file did not change while it was being hashed.
        if (before is { } key && KeyOf(full, algorithm, expected) == key)
            Verified[key] = true;
    }

    private static Key? KeyOf(string full, string algorithm, string expected)
    {
        var info = new FileInfo(full);
        return info.Exists ? new Key(full, info.Length, info.LastWriteTimeUtc, algorithm, expected) : null;
    }
}
