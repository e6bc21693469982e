namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>Outcome of <see cref="ShadowModelAttack"/> on the target's members and non-members.</summary>
/// <param name="Auc">AUC of the attack classifier's membership probability on the target's members vs non-members.</param>
/// <param name="BestAdvantage">max(TPR − FPR) over thresholds on the target's sets (in-sample, optimistic).</param>
/// <param name="Decision">The attack classifier's own decision (probability ≥ 0.5, <see cref="ThresholdSource.Fixed"/>),
/// whose threshold was never tuned on the target: an honest estimate.</param>
/// <param name="TprAtOnePercentFpr">Highest TPR with FPR ≤ 1%.</param>
/// <param name="ShadowCount">Number of shadow models trained.</param>
/// <param name="ShadowTrainAccuracy">Mean accuracy of the shadow models on their own training halves.</param>
/// <param name="ShadowHeldOutAccuracy">Mean accuracy of the shadow models on their held-out halves (the gap is what the attack learns).</param>
/// <param name="AttackTrainAuc">AUC of the attack classifier on the shadow features it was trained on.</param>
/// <param name="Roc">ROC curve on the target's sets.</param>
public sealed record ShadowAttackResult(
    double Auc, double BestAdvantage, BinaryMetrics Decision, double TprAtOnePercentFpr, int ShadowCount,
    double ShadowTrainAccuracy, double ShadowHeldOutAccuracy, double AttackTrainAuc, RocCurve Roc)
{
    /// <summary>One line for a notebook.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Shadow attack ({ShadowCount} shadows, train/held-out accuracy {ShadowTrainAccuracy:P1}/{ShadowHeldOutAccuracy:P1}, attack train AUC {AttackTrainAuc:F3}): " +
        $"AUC {Auc:F3}, best advantage {BestAdvantage:F3}, at p ≥ 0.5: {Decision}");
}
