namespace ModelSecurity.Benchmarks;

/// <summary>
/// The process's peak resident memory (native libtorch buffers included, which the .NET GC does not see), read from
/// /proc/self/status (VmHWM); on Linux the peak can be reset between measurements by writing 5 to /proc/self/clear_refs.
/// Elsewhere the working-set peak of <see cref="System.Diagnostics.Process"/> is used and cannot be reset.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>True when <see cref="ResetPeak"/> works here (Linux with a writable /proc/self/clear_refs).</summary>
    public static bool CanResetPeak { get; private set; } = OperatingSystem.IsLinux();

    /// <summary>Starts a new peak measurement (no-op where that is impossible).</summary>
    public static void ResetPeak()
    {
        if (!CanResetPeak) return;
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { CanResetPeak = false; }
    }

    /// <summary>Peak resident set size in bytes since the last reset (or since the start).</summary>
    public static long PeakBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out long kib)) return kib * 1024;
        }
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>Bytes as MiB, e.g. "812 MiB".</summary>
    public static string Format(long bytes) => $"{bytes / (1024.0 * 1024):F0} MiB";
}
