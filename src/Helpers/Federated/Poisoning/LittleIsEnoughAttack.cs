using System.Globalization;
using ModelSecurity.Certification;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// "A little is enough" (Baruch, Baruch, Goldberg, NeurIPS 2019): an adaptive model-poisoning attack on robust
/// aggregation. The colluding malicious clients train honestly, estimate the per-coordinate mean μⱼ and standard deviation
/// σⱼ of honest updates from their own updates, and all send μⱼ − z·σⱼ. Every coordinate stays within z standard
/// deviations of the honest mean, so coordinate-wise median and trimmed mean keep picking values near it and Krum finds
/// the identical malicious updates closest to each other — yet the shift is consistent across all coordinates and rounds.
/// </summary>
/// <remarks>
/// Baruch et al. choose z as large as the median still tolerates: with n clients in the round, m of them malicious, the
/// attackers need s = ⌊n/2 + 1⌋ − m honest clients on their side, so z = Φ⁻¹((n − s)/n) (<see cref="BaruchZ"/>).
/// Untargeted: its effect is the loss of clean accuracy. Requires the server to call <see cref="ClientAttack.PoisonRound"/>
/// (as <see cref="FederatedServer"/> does); with a single malicious client in a round σ = 0 and it sends its honest update.
/// </remarks>
public sealed class LittleIsEnoughAttack : ClientAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="z">How many standard deviations below the mean every coordinate is placed; finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">z is not a finite number &gt; 0.</exception>
    public LittleIsEnoughAttack(double z) => Z = Guard.Positive(z, nameof(z));

    /// <summary>z.</summary>
    public double Z { get; }

    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"a little is enough (z = {Z:G3})");

    /// <summary>Baruch et al.'s z for n clients per round of which m are malicious: Φ⁻¹((n − s)/n), s = ⌊n/2 + 1⌋ − m.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 2, or m outside 1 … n − 1.</exception>
    public static double BaruchZ(int clientsPerRound, int malicious)
    {
        Guard.AtLeast(clientsPerRound, 2, nameof(clientsPerRound));
        if (malicious < 1 || malicious >= clientsPerRound)
            throw new ArgumentOutOfRangeException(nameof(malicious), malicious, $"The number of malicious clients must lie in 1 … {clientsPerRound - 1}; got {malicious}.");
        int s = clientsPerRound / 2 + 1 - malicious;
        double p = (double)(clientsPerRound - s) / clientsPerRound;
        if (p >= 1) p = 1 - 0.5 / clientsPerRound;   // more than half malicious: no honest supporter needed; cap the quantile
        return Math.Max(1e-3, StandardNormal.Quantile(p));
    }

    /// <summary>Replaces every malicious update by μ − z·σ of the (honest) updates given, coordinate by coordinate.</summary>
    public override void PoisonRound(IReadOnlyList<float[]> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        if (deltas.Count == 0) return;
        int length = deltas[0].Length;
        if (deltas.Any(d => d.Length != length)) throw new ArgumentException("All updates of a round must have the same length.", nameof(deltas));
        var malicious = new float[length];
        for (int j = 0; j < length; j++)
        {
            double mean = 0;
            foreach (var d in deltas) mean += d[j];
            mean /= deltas.Count;
            double variance = 0;
            foreach (var d in deltas) variance += (d[j] - mean) * (d[j] - mean);
            double std = deltas.Count > 1 ? Math.Sqrt(variance / (deltas.Count - 1)) : 0;
            malicious[j] = (float)(mean - Z * std);
        }
        foreach (var d in deltas) Array.Copy(malicious, d, length);
    }
}
