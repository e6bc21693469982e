namespace ModelSecurity.Certification;

/// <summary>
/// Exact (Clopper–Pearson) confidence bounds for a binomial proportion and the exact binomial test — the statistics of
/// randomized smoothing's PREDICT and CERTIFY (Cohen et al. 2019).
/// </summary>
/// <remarks>
/// With k successes in n trials, the one-sided lower bound at level 1 − α is the α-quantile of Beta(k, n − k + 1)
/// (0 when k = 0): the smallest p under which seeing k or more successes is still as likely as α, because
/// P(Bin(n, p) ≥ k) = I_p(k, n − k + 1). Cohen et al.'s code computes it as statsmodels'
/// <c>proportion_confint(k, n, alpha=2α, method="beta")[0]</c>, which is the same number.
/// </remarks>
public static class ClopperPearson
{
    /// <summary>One-sided lower confidence bound p̲ with P(p ≥ p̲) ≥ 1 − α.</summary>
    /// <param name="successes">k, in [0, n].</param>
    /// <param name="trials">n ≥ 1.</param>
    /// <param name="alpha">α in (0, 1): the probability that the bound is wrong.</param>
    public static double LowerBound(long successes, long trials, double alpha)
    {
        Check(successes, trials, alpha);
        return successes == 0 ? 0 : BetaDistribution.Quantile(alpha, successes, trials - successes + 1);
    }

    /// <summary>One-sided upper confidence bound p̄ with P(p ≤ p̄) ≥ 1 − α.</summary>
    /// <param name="successes">k, in [0, n].</param>
    /// <param name="trials">n ≥ 1.</param>
    /// <param name="alpha">α in (0, 1).</param>
    public static double UpperBound(long successes, long trials, double alpha)
    {
        Check(successes, trials, alpha);
        return successes == trials ? 1 : BetaDistribution.Quantile(1 - alpha, successes + 1, trials - successes);
    }

    /// <summary>
    /// P(X ≥ k) for X ~ Bin(n, p) (the upper tail, k included), through P(X ≥ k) = I_p(k, n − k + 1).
    /// </summary>
    public static double BinomialUpperTail(long successes, long trials, double p)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, $"trials must be at least 1; got {trials}.");
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must lie in [0, {trials}]; got {successes}.");
        if (double.IsNaN(p) || p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, $"p must lie in [0, 1]; got {p}.");
        return successes == 0 ? 1 : BetaDistribution.Cdf(p, successes, trials - successes + 1);
    }

    /// <summary>
    /// Two-sided p-value of the exact binomial test of H₀: p = ½ for k successes in n trials (scipy's <c>binom_test(k, n, 0.5)</c>):
    /// min(1, 2·P(X ≥ max(k, n − k))). PREDICT abstains unless it is at most α.
    /// </summary>
    public static double BinomialTestHalf(long successes, long trials)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, $"trials must be at least 1; got {trials}.");
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must lie in [0, {trials}]; got {successes}.");
        long larger = Math.Max(successes, trials - successes);
        if (2 * larger == trials) return 1;
        return Math.Min(1, 2 * BinomialUpperTail(larger, trials, 0.5));
    }

    private static void Check(long successes, long trials, double alpha)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, $"trials must be at least 1; got {trials}.");
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must lie in [0, trials = {trials}]; got {successes}.");
        if (double.IsNaN(alpha) || alpha <= 0 || alpha >= 1)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must lie in (0, 1), e.g. 0.001 (Cohen et al.); got {alpha}.");
    }
}
