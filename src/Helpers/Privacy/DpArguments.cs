namespace ModelSecurity.Privacy;

/// <summary>Checks of DP-SGD's arguments, each failing with an <see cref="ArgumentOutOfRangeException"/> that says what is valid.</summary>
internal static class DpArguments
{
    /// <summary>σ, the noise standard deviation in units of the clipping norm: finite, ≥ 0 (0 = no noise, no privacy).</summary>
    public static double NoiseMultiplier(double value, string name = "noiseMultiplier")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} (σ, noise standard deviation in units of the clipping norm) must be a finite number ≥ 0, e.g. 1.0; got {value}. " +
                "σ = 0 adds no noise and gives no privacy.");
        return value;
    }

    /// <summary>C, the per-example clipping norm: finite, &gt; 0.</summary>
    public static double MaxGradNorm(double value, string name = "maxGradNorm")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} (C, the L2 norm every example's gradient is clipped to) must be a finite number > 0, e.g. 1.0; got {value}.");
        return value;
    }

    /// <summary>q, the probability that an example is in a batch: in (0, 1] (the accountants' check).</summary>
    public static double SampleRate(double value, string name = "sampleRate") => Guard.SampleRate(value, name);

    /// <summary>The expected (logical) batch size, q·N: finite, &gt; 0.</summary>
    public static double ExpectedBatchSize(double value, string name = "expectedBatchSize")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} (q·N, the expected number of examples in a logical batch) must be a finite number > 0; got {value}.");
        return value;
    }

    /// <summary>The largest physical chunk of a logical batch: at least 1.</summary>
    public static int MaxPhysicalBatchSize(int value, string name = "maxPhysicalBatchSize") =>
        Guard.AtLeast(value, 1, name);
}
