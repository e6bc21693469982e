using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Certification;

/// <summary>The standard normal distribution Φ and its inverse Φ⁻¹, to full double precision (the certified radius needs Φ⁻¹).</summary>
public static class StandardNormal
{
    /// <summary>Φ(z) = P(Z ≤ z), Z ~ N(0, 1).</summary>
    public static double Cdf(double z) => Normal.Cdf(z);

    /// <summary>Φ⁻¹(p), the z with Φ(z) = p, for p in (0, 1).</summary>
    public static double Quantile(double p)
    {
        if (double.IsNaN(p) || p <= 0 || p >= 1)
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Φ⁻¹(p) needs a probability strictly between 0 and 1; got {p}.");
        return p <= 0.5 ? Normal.QuantileFromLog(Math.Log(p)) : -Normal.QuantileFromLog(Math.Log(1 - p));
    }
}
