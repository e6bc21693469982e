namespace ModelSecurity.Attacks;

/// <summary>The norm that measures a perturbation's size (its threat model).</summary>
public enum Norm
{
    /// <summary>L∞: every pixel may change by at most ε.</summary>
    LInf,

    /// <summary>L2: the Euclidean length of the whole perturbation is at most ε.</summary>
    L2,
}
