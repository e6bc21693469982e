using static TorchSharp.torch;

namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>
/// The Gaussian mechanism: releases f(D) + N(0, σ² I), where Δ₂ is the L2 sensitivity of f (the largest
/// ‖f(D) − f(D′)‖₂ between neighbouring data sets). With σ from <see cref="GaussianCalibration"/> the release is
/// (ε, δ)-differentially private; the noise has mean 0 and variance σ² per coordinate.
/// </summary>
/// <remarks>
/// Create it with <see cref="Classic"/> (σ = Δ₂ √(2 ln(1.25/δ)) / ε, ε &lt; 1) or <see cref="Analytic"/> (the
/// smallest σ, Balle &amp; Wang 2018), or directly from σ. For a vector query one noise draw is added per
/// coordinate and Δ₂ is the sensitivity of the whole vector (the Euclidean norm of the largest change).
/// </remarks>
public sealed class GaussianMechanism : AdditiveNoiseMechanism
{

    /// <summary>Creates the mechanism with noise standard deviation σ for a query of L2 sensitivity Δ₂.</summary>
    /// <param name="sigma">Noise standard deviation σ &gt; 0.</param>
    /// <param name="sensitivity">L2 sensitivity Δ₂ &gt; 0 (used by <see cref="DeltaFor"/> and <see cref="NoiseMultiplier"/>).</param>
    /// <param name="random">Source of randomness; pass a seeded <see cref="Random"/> for reproducible noise.</param>
    public GaussianMechanism(double sigma, double sensitivity, Random random) : base(random)
    {
        Sigma = Guard.Positive(sigma, nameof(sigma));
        Sensitivity = Guard.Positive(sensitivity, nameof(sensitivity));
    }

    /// <summary>Classic calibration, σ = Δ₂ √(2 ln(1.25/δ)) / ε; only for ε in (0, 1).</summary>
    public static GaussianMechanism Classic(double sensitivity, double epsilon, double delta, Random random) =>
        new(GaussianCalibration.ClassicSigma(epsilon, delta, sensitivity), sensitivity, random);

    /// <summary>Analytic calibration (Balle &amp; Wang 2018): the smallest σ that is (ε, δ)-DP; any ε &gt; 0.</summary>
    public static GaussianMechanism Analytic(double sensitivity, double epsilon, double delta, Random random) =>
        new(GaussianCalibration.AnalyticSigma(epsilon, delta, sensitivity), sensitivity, random);

    /// <summary>The noise standard deviation σ.</summary>
    public double Sigma { get; }

    /// <summary>The L2 sensitivity Δ₂ of the query.</summary>
    public double Sensitivity { get; }

    /// <summary>σ / Δ₂, the quantity privacy accountants take.</summary>
    public double NoiseMultiplier => Sigma / Sensitivity;

    /// <summary>The exact δ at which one release is (ε, δ)-DP (Balle &amp; Wang 2018, Theorem 8).</summary>
    public double DeltaFor(double epsilon) => GaussianCalibration.Delta(epsilon, Sigma, Sensitivity);

    /// <inheritdoc />
    protected override double SampleNoise() => Sigma * NoiseSampler.StandardNormal(Random);
}
