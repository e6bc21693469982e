namespace ModelSecurity.Federated;

/// <summary>
/// Derives independent seeds from a run's seed and a few integers (round, client, purpose) with the SplitMix64
/// finaliser, so that every random choice of a simulation is reproducible whatever order the others happen in.
/// </summary>
internal static class SeedMixer
{
    /// <summary>Purpose tag of client sampling.</summary>
    public const int Sampling = 0x53414D50;

    /// <summary>Purpose tag of local training (shuffling, dropout).</summary>
    public const int Training = 0x5452414E;

    /// <summary>Purpose tag of server-side noise and dropout draws.</summary>
    public const int Server = 0x53525652;

    /// <summary>Purpose: who is a straggler in a round, and how many epochs it completes.</summary>
    public const int Straggler = 0x53545247;

    /// <summary>A non-negative seed for <see cref="Random"/> that depends on every value, in order.</summary>
    public static int Mix(params ReadOnlySpan<int> values)
    {
        ulong z = 0x9E3779B97F4A7C15UL;
        foreach (int v in values)
        {
            z ^= (uint)v;
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }
        return (int)(z & 0x7FFFFFFF);
    }
}
