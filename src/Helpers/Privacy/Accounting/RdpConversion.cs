namespace ModelSecurity.Privacy.Accounting;

/// <summary>How a Rényi-DP curve (α ↦ RDP(α)) is turned into an (ε, δ) guarantee.</summary>
public enum RdpConversion
{
    /// <summary>
    /// Mironov 2017, Proposition 3: ε = RDP(α) + log(1/δ) / (α − 1), minimised over the orders α. What TensorFlow
    /// Privacy reported before December 2020.
    /// </summary>
    Classic,

    /// <summary>
    /// Balle, Barthe, Gaboardi, Hsu, Sato 2020 ("Hypothesis testing interpretations and Rényi differential privacy",
    /// Theorem 21; also Canonne, Kamath, Steinke 2020, Proposition 12):
    /// ε = RDP(α) − (log δ + log α) / (α − 1) + log((α − 1) / α). Always at most the classic value. Used by Opacus
    /// (<c>get_privacy_spent</c>), TensorFlow Privacy and Google's dp_accounting, which also apply ε = 0 when
    /// δ² ≥ 1 − e^(−RDP(α)) and skip orders α ≤ 1.01 (numerically unstable); so does this implementation.
    /// </summary>
    Balle2020,
}
