namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// Outcome of <see cref="LossThresholdAttack"/> on the evaluation members and non-members.
/// </summary>
/// <param name="Auc">Area under the ROC curve of the score −loss (threshold-free).</param>
/// <param name="BestAdvantage">max(TPR − FPR) over thresholds on the evaluation scores themselves: optimistic, in-sample.</param>
/// <param name="BestThreshold">The −loss threshold reaching <paramref name="BestAdvantage"/>.</param>
/// <param name="ThresholdSource">Where <paramref name="Decision"/>'s threshold comes from.</param>
/// <param name="Decision">TPR, FPR, advantage and accuracy of the rule "member when −loss ≥ threshold" on the evaluation
/// sets, with the threshold of <paramref name="ThresholdSource"/>: an honest estimate when it is <see cref="ThresholdSource.Calibration"/>.</param>
/// <param name="TprAtOnePercentFpr">Highest TPR with FPR ≤ 1% on the evaluation scores.</param>
/// <param name="Roc">The full ROC curve on the evaluation scores.</param>
public sealed record LossThresholdResult(
    double Auc, double BestAdvantage, double BestThreshold, ThresholdSource ThresholdSource, BinaryMetrics Decision,
    double TprAtOnePercentFpr, RocCurve Roc)
{
    /// <summary>One line for a notebook.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Loss attack: AUC {Auc:F3}, best advantage {BestAdvantage:F3} (in-sample), {ThresholdSource} threshold: {Decision}, TPR@1%FPR {TprAtOnePercentFpr:P1}");
}
