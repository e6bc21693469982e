using ModelSecurity.Certification;

namespace ModelSecurity.Statistics;

/// <summary>A two-sided confidence interval for a proportion.</summary>
/// <param name="Lower">Lower end.</param>
/// <param name="Upper">Upper end.</param>
public readonly record struct Interval(double Lower, double Upper)
{
    /// <summary>"[l %, u %]" with one decimal.</summary>
    public string ToPercentString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{Lower * 100:F1}%, {Upper * 100:F1}%]");

    /// <inheritdoc />
    public override string ToString() => ToPercentString();
}

/// <summary>
/// Confidence intervals for a rate measured on a sample (an accuracy on n test images): what the sample can tell.
/// </summary>
public static class Proportion
{
    /// <summary>
    /// Wilson score interval (Wilson 1927) at confidence 1 − α: good coverage even near 0 % and 100 %, where the normal
    /// approximation p̂ ± z·√(p̂(1 − p̂)/n) collapses to a point.
    /// </summary>
    /// <param name="successes">k in [0, n].</param>
    /// <param name="trials">n ≥ 1.</param>
    /// <param name="alpha">α in (0, 1); 0.05 for a 95 % interval.</param>
    public static Interval Wilson(long successes, long trials, double alpha = 0.05)
    {
        Check(successes, trials, alpha);
        double z = StandardNormal.Quantile(1 - alpha / 2);
        double p = (double)successes / trials, z2n = z * z / trials;
        double centre = (p + z2n / 2) / (1 + z2n);
        double half = z / (1 + z2n) * Math.Sqrt(p * (1 - p) / trials + z2n / (4 * trials));
        return new Interval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Exact (Clopper–Pearson) two-sided interval at confidence 1 − α: each side at α/2, from
    /// <see cref="ClopperPearson"/>. Conservative: its coverage is never below 1 − α.
    /// </summary>
    public static Interval ClopperPearsonInterval(long successes, long trials, double alpha = 0.05)
    {
        Check(successes, trials, alpha);
        return new Interval(ClopperPearson.LowerBound(successes, trials, alpha / 2), ClopperPearson.UpperBound(successes, trials, alpha / 2));
    }

    private static void Check(long successes, long trials, double alpha)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, $"trials must be at least 1; got {trials}.");
        if (successes < 0 || successes > trials)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must lie in [0, trials = {trials}]; got {successes}.");
        if (double.IsNaN(alpha) || alpha <= 0 || alpha >= 1)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must lie in (0, 1), e.g. 0.05 for 95 %; got {alpha}.");
    }
}
