namespace ModelSecurity.Privacy.Accounting;

/// <summary>An (ε, δ) guarantee obtained from Rényi DP, and the order α that gave it.</summary>
/// <param name="Epsilon">ε ≥ 0 (+∞ when no order gives a finite bound).</param>
/// <param name="Delta">δ.</param>
/// <param name="Order">The RDP order α at which the minimum was attained (NaN when ε is +∞ at every order).</param>
public readonly record struct RdpPrivacySpent(double Epsilon, double Delta, double Order);
