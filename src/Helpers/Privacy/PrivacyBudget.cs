namespace ModelSecurity.Privacy;

/// <summary>
/// An (ε, δ)-differential-privacy guarantee: for every pair of neighbouring data sets D, D′ and every set of
/// outputs S, P[M(D) ∈ S] ≤ e^ε · P[M(D′) ∈ S] + δ. δ = 0 is pure ε-DP.
/// </summary>
/// <param name="Epsilon">The privacy loss bound ε ≥ 0 (may be +∞ when nothing is guaranteed).</param>
/// <param name="Delta">The failure probability δ in [0, 1].</param>
public readonly record struct PrivacyBudget(double Epsilon, double Delta)
{
    /// <summary>"(ε = 1.23, δ = 1e-05)".</summary>
    public override string ToString() => $"(ε = {Epsilon:G4}, δ = {Delta:G3})";
}
