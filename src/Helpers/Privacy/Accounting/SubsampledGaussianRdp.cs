using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Privacy.Accounting;

/// <summary>
/// Rényi differential privacy of the Poisson-subsampled Gaussian mechanism (the "sampled Gaussian mechanism" of
/// DP-SGD), computed as TensorFlow Privacy's and Opacus's <c>analysis/rdp.py</c> do.
/// </summary>
/// <remarks>
/// <para>With sample rate q and noise multiplier σ, RDP(α) = log(A_α) / (α − 1), where
/// A_α = E_{z∼N(0,σ²)}[((1 − q) + q · e^{(2z − 1)/(2σ²)})^α] (Mironov 2017; Mironov, Talwar, Zhang 2019,
/// "Rényi differential privacy of the sampled Gaussian mechanism", Section 3.3).</para>
/// <para>Integer α: the binomial expansion A_α = Σᵢ C(α, i) (1 − q)^(α−i) qⁱ e^{(i² − i)/(2σ²)}, summed in log space.
/// Fractional α: the integral is split at z₀ = σ² log(1/q − 1) + ½ and each half expanded as a binomial series
/// with erfc factors; terms with a negative coefficient are subtracted in log space (as Opacus does), and the series
/// stops once both new terms are below e^−30. q = 1 is the plain Gaussian: RDP(α) = α / (2σ²). RDP composes
/// additively: T steps have T times the RDP of one.</para>
/// <para>Google's dp_accounting adds the absolute values of the fractional-order terms instead (an upper bound,
/// marginally larger); this class keeps the signed series of TF Privacy / Opacus.</para>
/// </remarks>
public static class SubsampledGaussianRdp
{
    private const int MaxFractionalTerms = 1000;

    /// <summary>RDP at order α of one step.</summary>
    /// <param name="sampleRate">q in (0, 1].</param>
    /// <param name="noiseMultiplier">σ &gt; 0.</param>
    /// <param name="order">α &gt; 1 (+∞ gives +∞).</param>
    /// <returns>RDP(α) ≥ 0, or +∞ when the series does not converge in double precision (that order is then useless
    /// for conversion, as in dp_accounting).</returns>
    public static double Compute(double sampleRate, double noiseMultiplier, double order)
    {
        Guard.SampleRate(sampleRate);
        Guard.NoiseMultiplier(noiseMultiplier);
        CheckOrder(order);
        return PerStep(sampleRate, noiseMultiplier, order);
    }

    /// <summary>RDP at each order of <paramref name="steps"/> composed steps (steps × the RDP of one).</summary>
    public static double[] Compute(double sampleRate, double noiseMultiplier, int steps, IReadOnlyList<double> orders)
    {
        Guard.SampleRate(sampleRate);
        Guard.NoiseMultiplier(noiseMultiplier);
        Guard.Steps(steps);
        ArgumentNullException.ThrowIfNull(orders);
        var result = new double[orders.Count];
        for (var i = 0; i < result.Length; i++)
        {
            CheckOrder(orders[i]);
            result[i] = steps * PerStep(sampleRate, noiseMultiplier, orders[i]);
        }
        return result;
    }

    internal static void CheckOrder(double order)
    {
        if (double.IsNaN(order) || order <= 1)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"RDP orders must be > 1 (+∞ allowed); got {order}.");
    }

    private static double PerStep(double q, double sigma, double alpha)
    {
        if (q == 1.0) return alpha / (2 * sigma * sigma);
        if (double.IsPositiveInfinity(alpha)) return double.PositiveInfinity;
        var logA = alpha == Math.Floor(alpha) && alpha <= int.MaxValue - 1
            ? LogAForIntegerOrder(q, sigma, (int)alpha)
            : LogAForFractionalOrder(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    /// <summary>log A_α for integer α: Σᵢ₌₀^α C(α, i) qⁱ (1 − q)^(α−i) e^{(i² − i)/(2σ²)} in log space.</summary>
    internal static double LogAForIntegerOrder(double q, double sigma, int alpha)
    {
        double logA = double.NegativeInfinity, logQ = Math.Log(q), log1MinusQ = LogSpace.Log1P(-q);
        var logBinomial = 0.0; // log C(α, 0)
        for (var i = 0; i <= alpha; i++)
        {
            if (i > 0) logBinomial += Math.Log(alpha - i + 1) - Math.Log(i);
            double di = i;
            var s = logBinomial + di * logQ + (alpha - di) * log1MinusQ + (di * di - di) / (2 * sigma * sigma);
            logA = LogSpace.Add(logA, s);
        }
        return logA;
    }

    /// <summary>log A_α for fractional α (Mironov, Talwar, Zhang 2019, Section 3.3).</summary>
    internal static double LogAForFractionalOrder(double q, double sigma, double alpha)
    {
        double logA0 = double.NegativeInfinity, logA1 = double.NegativeInfinity;
        double logQ = Math.Log(q), log1MinusQ = LogSpace.Log1P(-q), twoSigma2 = 2 * sigma * sigma;
        var z0 = sigma * sigma * (log1MinusQ - logQ) + 0.5;
        var sqrt2Sigma = Math.Sqrt(2) * sigma;
        var logHalf = Math.Log(0.5);
        double logAbsCoefficient = 0; // log |C(α, 0)|
        var positive = true;
        for (var i = 0; i < MaxFractionalTerms; i++)
        {
            if (i > 0)
            {
                var factor = alpha - (i - 1); // C(α, i) = C(α, i − 1) (α − i + 1) / i
                logAbsCoefficient += Math.Log(Math.Abs(factor)) - Math.Log(i);
                if (factor < 0) positive = !positive;
            }
            double j = alpha - i;
            var logT0 = logAbsCoefficient + i * logQ + j * log1MinusQ;
            var logT1 = logAbsCoefficient + j * logQ + i * log1MinusQ;
            var logE0 = logHalf + Normal.LogErfc((i - z0) / sqrt2Sigma);
            var logE1 = logHalf + Normal.LogErfc((z0 - j) / sqrt2Sigma);
            var logS0 = logT0 + ((double)i * i - i) / twoSigma2 + logE0;
            var logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
            if (positive)
            {
                logA0 = LogSpace.Add(logA0, logS0);
                logA1 = LogSpace.Add(logA1, logS1);
            }
            else
            {
                // A negative term larger than the running sum means double precision has failed at this order.
                if (logA0 < logS0 || logA1 < logS1) return double.PositiveInfinity;
                logA0 = LogSpace.Subtract(logA0, logS0);
                logA1 = LogSpace.Subtract(logA1, logS1);
            }
            if (Math.Max(logS0, logS1) < -30) return LogSpace.Add(logA0, logA1);
        }
        return double.PositiveInfinity;
    }
}
