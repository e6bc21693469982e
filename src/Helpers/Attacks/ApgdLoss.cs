namespace ModelSecurity.Attacks;

/// <summary>What <see cref="Apgd"/> maximises.</summary>
public enum ApgdLoss
{
    /// <summary>Cross-entropy of the true label (APGD-CE).</summary>
    CrossEntropy,

    /// <summary>The untargeted DLR loss (APGD-DLR, <see cref="DlrLoss.Untargeted"/>).</summary>
    Dlr,
}
