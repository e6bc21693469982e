using ModelSecurity.Certification;

namespace ModelSecurity.Statistics;

/// <summary>
/// An approximate confidence interval for an ROC AUC measured on m positives and n negatives (Hanley &amp; McNeil 1982):
/// the AUC is a Mann–Whitney statistic, and its standard error follows from the AUC with the exponential approximation
/// Q₁ = A/(2 − A), Q₂ = 2A²/(1 + A). Cheap and adequate for the chapter's "is this AUC distinguishable from 0.5 and from
/// another one" questions; no NuGet statistics package we use offers it.
/// </summary>
public static class AucInterval
{
    /// <summary>The standard error of an AUC <paramref name="auc"/> on the given sample sizes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">AUC outside [0, 1] or a sample size below 1.</exception>
    public static double StandardError(double auc, int positives, int negatives)
    {
        if (double.IsNaN(auc) || auc < 0 || auc > 1) throw new ArgumentOutOfRangeException(nameof(auc), auc, $"An AUC lies in [0, 1]; got {auc}.");
        if (positives < 1) throw new ArgumentOutOfRangeException(nameof(positives), positives, $"Need at least one positive; got {positives}.");
        if (negatives < 1) throw new ArgumentOutOfRangeException(nameof(negatives), negatives, $"Need at least one negative; got {negatives}.");
        double q1 = auc / (2 - auc), q2 = 2 * auc * auc / (1 + auc);
        double variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / ((double)positives * negatives);
        return Math.Sqrt(Math.Max(0, variance));
    }

    /// <summary>The normal-approximation interval AUC ± z·SE at confidence 1 − α, clipped to [0, 1].</summary>
    public static Interval HanleyMcNeil(double auc, int positives, int negatives, double alpha = 0.05)
    {
        if (double.IsNaN(alpha) || alpha <= 0 || alpha >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must lie in (0, 1); got {alpha}.");
        double half = StandardNormal.Quantile(1 - alpha / 2) * StandardError(auc, positives, negatives);
        return new Interval(Math.Max(0, auc - half), Math.Min(1, auc + half));
    }
}
