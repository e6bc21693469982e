namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// One point of a ROC curve: predicting "member" for every score ≥ <paramref name="Threshold"/> gives the true-positive
/// rate <paramref name="Tpr"/> (members caught) and the false-positive rate <paramref name="Fpr"/> (non-members accused).
/// </summary>
/// <param name="Threshold">Decision threshold (+∞ for the point (0, 0) where nothing is called a member).</param>
/// <param name="Fpr">False-positive rate in [0, 1].</param>
/// <param name="Tpr">True-positive rate in [0, 1].</param>
public readonly record struct RocPoint(double Threshold, double Fpr, double Tpr)
{
    /// <summary>Membership advantage at this threshold, TPR − FPR (Yeom et al. 2018).</summary>
    public double Advantage => Tpr - Fpr;
}
