namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// How well the rule "member when score ≥ <see cref="Threshold"/>" separates members from non-members
/// (higher score = more likely a member).
/// </summary>
/// <param name="Threshold">Decision threshold.</param>
/// <param name="Tpr">True-positive rate: fraction of members called members.</param>
/// <param name="Fpr">False-positive rate: fraction of non-members called members.</param>
/// <param name="Accuracy">Fraction of all examples (members and non-members pooled) classified correctly.</param>
/// <param name="BalancedAccuracy">(TPR + 1 − FPR) / 2, the accuracy on a 50/50 mix; equals 1/2 + advantage/2.</param>
public sealed record BinaryMetrics(double Threshold, double Tpr, double Fpr, double Accuracy, double BalancedAccuracy)
{
    /// <summary>Membership advantage TPR − FPR.</summary>
    public double Advantage => Tpr - Fpr;

    /// <summary>Applies the rule "member when score ≥ <paramref name="threshold"/>" to both score sets.</summary>
    /// <param name="memberScores">Scores of the members (higher = more likely member); not empty, no NaN.</param>
    /// <param name="nonMemberScores">Scores of the non-members; not empty, no NaN.</param>
    /// <param name="threshold">Decision threshold (not NaN; ±∞ allowed).</param>
    /// <exception cref="ArgumentException">A score set is empty or holds NaN, or the threshold is NaN.</exception>
    public static BinaryMetrics AtThreshold(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores, double threshold)
    {
        ScoreChecks.Validate(memberScores, nameof(memberScores));
        ScoreChecks.Validate(nonMemberScores, nameof(nonMemberScores));
        if (double.IsNaN(threshold)) throw new ArgumentException("The threshold must not be NaN.", nameof(threshold));
        int truePositives = memberScores.Count(s => s >= threshold);
        int falsePositives = nonMemberScores.Count(s => s >= threshold);
        double tpr = (double)truePositives / memberScores.Count, fpr = (double)falsePositives / nonMemberScores.Count;
        double accuracy = (double)(truePositives + nonMemberScores.Count - falsePositives) / (memberScores.Count + nonMemberScores.Count);
        return new BinaryMetrics(threshold, tpr, fpr, accuracy, (tpr + 1 - fpr) / 2);
    }

    /// <summary>For example "TPR 62.0%, FPR 31.5%, advantage 0.305, accuracy 65.3% at threshold -0.12".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"TPR {Tpr:P1}, FPR {Fpr:P1}, advantage {Advantage:F3}, accuracy {Accuracy:P1} at threshold {Threshold:G4}");
}
