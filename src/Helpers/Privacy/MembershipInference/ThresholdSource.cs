namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>How a membership attack's decision threshold was chosen.</summary>
public enum ThresholdSource
{
    /// <summary>Maximises TPR − FPR on separate calibration members/non-members, then applied to the evaluation sets (honest).</summary>
    Calibration,

    /// <summary>Maximises TPR − FPR on the evaluation sets themselves (optimistic upper bound; what papers often report).</summary>
    BestOnEvaluation,

    /// <summary>Given by the caller (e.g. minus the mean training loss, Yeom et al. 2018; or 0.5 for a probability).</summary>
    Fixed,
}
