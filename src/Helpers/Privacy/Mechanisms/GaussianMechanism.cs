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
public sealed class GaussianMechanism
{
    private readonly Random _random;

    /// <summary>Creates the mechanism with noise standard deviation σ for a query of L2 sensitivity Δ₂.</summary>
    /// <param name="sigma">Noise standard deviation σ &gt; 0.</param>
    /// <param name="sensitivity">L2 sensitivity Δ₂ &gt; 0 (used by <see cref="DeltaFor"/> and <see cref="NoiseMultiplier"/>).</param>
    /// <param name="random">Source of randomness; pass a seeded <see cref="Random"/> for reproducible noise.</param>
    public GaussianMechanism(double sigma, double sensitivity, Random random)
    {
        Sigma = Guard.Positive(sigma, nameof(sigma));
        Sensitivity = Guard.Positive(sensitivity, nameof(sensitivity));
        _random = random ?? throw new ArgumentNullException(nameof(random));
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

    /// <summary>Releases <paramref name="value"/> + N(0, σ²).</summary>
    public double Apply(double value) => value + Sigma * NoiseSampler.StandardNormal(_random);

    /// <summary>Releases every coordinate plus independent N(0, σ²) noise (Δ₂ is the sensitivity of the whole vector).</summary>
    public double[] Apply(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new double[values.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Apply(values[i]);
        return result;
    }

    /// <summary>Releases every coordinate plus independent N(0, σ²) noise (an exact match for arrays, which TorchSharp could also convert to a tensor).</summary>
    public double[] Apply(double[] values) => Apply((IReadOnlyList<double>)values);

    /// <summary>
    /// Releases a tensor plus independent N(0, σ²) noise per element (drawn from the same seeded <see cref="Random"/>).
    /// Returns a new tensor of the input's type and device.
    /// </summary>
    public Tensor Apply(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var noise = new double[values.numel()];
        for (var i = 0; i < noise.Length; i++) noise[i] = Sigma * NoiseSampler.StandardNormal(_random);
        using var noiseTensor = tensor(noise, dtype: ScalarType.Float64).reshape(values.shape);
        using var typed = noiseTensor.to(values.dtype, values.device);
        return values + typed;
    }
}
