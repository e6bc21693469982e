using System.Globalization;

namespace ModelSecurity.Privacy;

/// <summary>The outcome of <see cref="PrivacyAudit.Run"/>: the counts on the audit half and the bounds they give.</summary>
/// <param name="Threshold">Score threshold chosen on the other half (score ≥ threshold: "member").</param>
/// <param name="TruePositives">Audited members flagged.</param>
/// <param name="Members">Audited members.</param>
/// <param name="FalsePositives">Audited non-members flagged.</param>
/// <param name="NonMembers">Audited non-members.</param>
/// <param name="Delta">δ of the audited guarantee.</param>
/// <param name="Alpha">1 − confidence.</param>
/// <param name="EpsilonLowerBound">ε̲ proven at confidence 1 − α (Clopper–Pearson corrected).</param>
/// <param name="PointEstimate">The uncorrected formula on the measured rates (overclaims).</param>
/// <param name="LargestProvable">The bound a perfect test (every member flagged, no non-member) would prove on this sample.</param>
public sealed record PrivacyAuditResult(
    double Threshold, int TruePositives, int Members, int FalsePositives, int NonMembers, double Delta, double Alpha,
    double EpsilonLowerBound, double PointEstimate, double LargestProvable)
{
    /// <summary>TPR on the audit half.</summary>
    public double Tpr => (double)TruePositives / Members;

    /// <summary>FPR on the audit half.</summary>
    public double Fpr => (double)FalsePositives / NonMembers;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"TPR {TruePositives}/{Members}, FPR {FalsePositives}/{NonMembers}: ε ≥ {EpsilonLowerBound:F2} at {1 - Alpha:P0} confidence (point estimate {PointEstimate:F2}, at most {LargestProvable:F2} provable on this sample)");
}
