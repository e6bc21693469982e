namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>Draws the noise of the mechanisms from a caller-owned <see cref="Random"/>, so runs are reproducible.</summary>
internal static class NoiseSampler
{
    /// <summary>A standard exponential variate, −log(U) with U in (0, 1].</summary>
    public static double Exponential(Random random) => -Math.Log(1.0 - random.NextDouble());

    /// <summary>A Laplace variate with scale b: the difference of two independent exponentials of mean b.</summary>
    public static double Laplace(Random random, double scale) => scale * (Exponential(random) - Exponential(random));

    /// <summary>A standard normal variate by the Box–Muller transform (one of the pair is used).</summary>
    public static double StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble(); // (0, 1]: the logarithm stays finite
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
