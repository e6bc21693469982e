using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>
/// How much Gaussian noise an (ε, δ) guarantee needs, for a query of L2 sensitivity Δ₂.
/// </summary>
/// <remarks>
/// <para><b>Classic</b> (Dwork &amp; Roth 2014, Theorem A.1): σ = Δ₂ · √(2 ln(1.25/δ)) / ε suffices for ε &lt; 1 only;
/// for ε ≥ 1 the theorem says nothing.</para>
/// <para><b>Analytic</b> (Balle &amp; Wang 2018, "Improving the Gaussian mechanism for differential privacy",
/// Theorem 8): the Gaussian mechanism is (ε, δ)-DP if and only if
/// δ ≥ Φ(Δ₂/(2σ) − εσ/Δ₂) − e^ε · Φ(−Δ₂/(2σ) − εσ/Δ₂). The right side decreases in σ, so the smallest σ is found
/// by bisection on this exact expression (the paper solves the same equation through its variable v; the root is the
/// same). Valid for every ε &gt; 0 and always at most the classic σ.</para>
/// </remarks>
public static class GaussianCalibration
{
    /// <summary>The classic σ = Δ₂ √(2 ln(1.25/δ)) / ε; only for 0 &lt; ε &lt; 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">ε ∉ (0, 1), δ ∉ (0, 1) or Δ₂ ≤ 0.</exception>
    public static double ClassicSigma(double epsilon, double delta, double sensitivity = 1.0)
    {
        Guard.PrivacyEpsilon(epsilon);
        if (epsilon >= 1)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon,
                $"the classic Gaussian calibration σ = Δ√(2 ln(1.25/δ))/ε is only proven for ε in (0, 1); got {epsilon}. Use AnalyticSigma for ε ≥ 1.");
        Guard.Delta(delta);
        Guard.Positive(sensitivity, nameof(sensitivity));
        return sensitivity * Math.Sqrt(2 * Math.Log(1.25 / delta)) / epsilon;
    }

    /// <summary>
    /// The exact δ(ε) of the Gaussian mechanism with noise σ and sensitivity Δ₂ (Balle &amp; Wang 2018, Theorem 8):
    /// Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ). Any real ε is accepted (the hockey-stick divergence of order e^ε).
    /// </summary>
    public static double Delta(double epsilon, double sigma, double sensitivity = 1.0)
    {
        if (double.IsNaN(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be a number.");
        Guard.Positive(sigma, nameof(sigma));
        Guard.Positive(sensitivity, nameof(sensitivity));
        if (double.IsPositiveInfinity(epsilon)) return 0;
        var a = sensitivity / (2 * sigma);
        var b = epsilon * sigma / sensitivity;
        var logFirst = Normal.LogCdf(a - b);
        var logSecond = epsilon + Normal.LogCdf(-a - b);
        if (logSecond >= logFirst) return 0; // only by round-off: the divergence is ≥ 0
        return Math.Exp(logFirst) * -LogSpace.ExpM1(logSecond - logFirst);
    }

    /// <summary>The smallest σ for which the Gaussian mechanism is (ε, δ)-DP (analytic Gaussian mechanism).</summary>
    /// <exception cref="ArgumentOutOfRangeException">ε ≤ 0, δ ∉ (0, 1) or Δ₂ ≤ 0.</exception>
    public static double AnalyticSigma(double epsilon, double delta, double sensitivity = 1.0)
    {
        Guard.PrivacyEpsilon(epsilon);
        Guard.Delta(delta);
        Guard.Positive(sensitivity, nameof(sensitivity));
        // Work with Δ = 1 and scale at the end: δ(ε) depends on σ/Δ only.
        double lo = 1e-3, hi = 1.0;
        while (Delta(epsilon, lo) <= delta) lo /= 2;
        while (Delta(epsilon, hi) > delta) hi *= 2;
        for (var i = 0; i < 200 && hi - lo > 1e-14 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Delta(epsilon, mid) > delta) lo = mid; else hi = mid;
        }
        return hi * sensitivity;
    }
}
