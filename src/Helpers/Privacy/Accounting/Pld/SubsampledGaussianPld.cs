using ModelSecurity.Privacy.Mechanisms;
using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Privacy.Accounting.Pld;

/// <summary>
/// The privacy loss distributions of one Poisson-subsampled Gaussian step (sample rate q, noise multiplier σ,
/// add-or-remove-one adjacency), discretised pessimistically with the connect-the-dots method.
/// </summary>
/// <remarks>
/// <para>The subsampled Gaussian mechanism has two dominating pairs (Zhu, Dong, Wang 2022): "remove",
/// P = (1 − q) N(0, σ²) + q N(1, σ²) against Q = N(0, σ²), and "add", the same pair swapped. Both are composed
/// separately and the accountant takes the larger δ (equivalently the larger ε). Their hockey-stick divergences
/// reduce to the exact Gaussian one, δ_G(ε) (<see cref="GaussianCalibration.Delta"/>):
/// remove: δ(ε) = q δ_G(ε′) with e^ε′ = 1 + (e^ε − 1)/q, and δ(ε) = 1 − e^ε for ε ≤ log(1 − q);
/// add: δ(ε) = q e^(ε − ε″) δ_G(ε″) with e^−ε″ = 1 + (e^−ε − 1)/q, and δ(ε) = 0 for ε ≥ −log(1 − q).</para>
/// <para>Connect-the-dots (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022, "Connect the dots: tighter discrete
/// approximations of privacy loss distributions", Algorithm 1): on the grid εᵢ = i·h the discrete distribution is
/// chosen so that its δ(ε) equals the true δ at every grid point and interpolates linearly in e^ε between them.
/// Because δ is convex in e^ε, the interpolation lies above the true curve, and the discrete pair dominates the
/// true one — so does any composition of them. The grid spans the losses of all but e^−50 of the noise, as in
/// Google's dp_accounting, whose parameters (h = 10⁻⁴, tail truncation 10⁻¹⁵) are the defaults here.</para>
/// </remarks>
internal static class SubsampledGaussianPld
{
    private const double LogMassTruncation = -50;

    /// <summary>The (remove, add) distributions of one step; add is null when q = 1 (the two coincide).</summary>
    public static (PldPmf Remove, PldPmf? Add) Create(double noiseMultiplier, double sampleRate, double interval)
    {
        var tail = -Normal.QuantileFromLog(Math.Log(0.5) + LogMassTruncation) * noiseMultiplier; // |z| σ
        var remove = ConnectTheDots(
            LossRemove(-tail, noiseMultiplier, sampleRate),
            LossRemove(tail + 1, noiseMultiplier, sampleRate),
            interval, eps => DeltaRemove(eps, noiseMultiplier, sampleRate));
        if (sampleRate == 1.0) return (remove, null);
        var add = ConnectTheDots(
            LossAdd(tail + 1, noiseMultiplier, sampleRate),
            LossAdd(-tail, noiseMultiplier, sampleRate),
            interval, eps => DeltaAdd(eps, noiseMultiplier, sampleRate));
        return (remove, add);
    }

    /// <summary>Privacy loss at output x of the remove pair: log(1 − q + q e^((2x − 1)/(2σ²))), increasing in x.</summary>
    internal static double LossRemove(double x, double sigma, double q) =>
        LogSpace.Add(LogSpace.Log1P(-q), Math.Log(q) + (2 * x - 1) / (2 * sigma * sigma));

    /// <summary>Privacy loss at output x of the add pair: −log(1 − q + q e^((2x − 1)/(2σ²))), decreasing in x.</summary>
    internal static double LossAdd(double x, double sigma, double q) => -LossRemove(x, sigma, q);

    /// <summary>Hockey-stick divergence of the remove pair at ε.</summary>
    internal static double DeltaRemove(double epsilon, double sigma, double q)
    {
        if (q < 1 && epsilon <= LogSpace.Log1P(-q)) return -LogSpace.ExpM1(epsilon);
        var shifted = q == 1 ? epsilon : ScaledLoss(epsilon, q);
        return Math.Min(1, q * GaussianCalibration.Delta(shifted, sigma));
    }

    /// <summary>Hockey-stick divergence of the add pair at ε.</summary>
    internal static double DeltaAdd(double epsilon, double sigma, double q)
    {
        if (q == 1) return GaussianCalibration.Delta(epsilon, sigma);
        if (epsilon >= -LogSpace.Log1P(-q)) return 0;
        var shifted = -ScaledLoss(-epsilon, q);
        var delta = GaussianCalibration.Delta(shifted, sigma);
        return delta == 0 ? 0 : Math.Min(1, q * Math.Exp(epsilon - shifted) * delta);
    }

    /// <summary>log(1 + (e^x − 1)/q) for x &gt; log(1 − q), stable for large x.</summary>
    private static double ScaledLoss(double x, double q) =>
        x < 30 ? LogSpace.Log1P(LogSpace.ExpM1(x) / q) : x + LogSpace.Log1P(-(1 - q) * Math.Exp(-x)) - Math.Log(q);

    /// <summary>
    /// Connect-the-dots with a fixed gap h on the grid ⌊ε_lo/h⌋·h … ⌈ε_hi/h⌉·h: with δᵢ the true divergences,
    /// p₁ = 1 − δ₁ + (δ₂ − δ₁)/(e^h − 1), pᵢ = ((δᵢ₊₁ − δᵢ) − e^h (δᵢ − δᵢ₋₁))/(e^h − 1),
    /// pₙ = (δₙ − δₙ₋₁)/(e^−h − 1), and mass δₙ at +∞.
    /// </summary>
    internal static PldPmf ConnectTheDots(double epsilonLower, double epsilonUpper, double interval, Func<double, double> delta)
    {
        var first = (long)Math.Floor(epsilonLower / interval);
        var last = (long)Math.Ceiling(epsilonUpper / interval);
        var count = last - first + 1;
        if (count > PldPmf.MaxPoints)
            throw new InvalidOperationException($"the privacy loss grid would need {count} points; use a larger discretisation interval (now {interval}) or more noise.");
        var deltas = new double[count];
        for (long i = 0; i < count; i++) deltas[i] = Math.Clamp(delta((first + i) * interval), 0, 1);
        for (long i = 1; i < count; i++) deltas[i] = Math.Min(deltas[i], deltas[i - 1]); // δ is non-increasing
        if (count == 1) return new PldPmf(interval, first, [1 - deltas[0]], deltas[0]);

        var probabilities = new double[count];
        var expM1 = LogSpace.ExpM1(interval);
        var expH = Math.Exp(interval);
        probabilities[0] = 1 - deltas[0] + (deltas[1] - deltas[0]) / expM1;
        for (long i = 1; i < count - 1; i++)
            probabilities[i] = ((deltas[i + 1] - deltas[i]) - expH * (deltas[i] - deltas[i - 1])) / expM1;
        probabilities[count - 1] = (deltas[count - 1] - deltas[count - 2]) / LogSpace.ExpM1(-interval);
        for (long i = 0; i < count; i++) probabilities[i] = Math.Max(0, probabilities[i]);
        return new PldPmf(interval, first, probabilities, deltas[count - 1]);
    }
}
