namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>
/// Composition theorems: the guarantee of running several differentially private mechanisms on the same data.
/// </summary>
/// <remarks>
/// <para><b>Basic</b> (Dwork, Kenthapadi, McSherry, Mironov, Naor 2006; Dwork &amp; Roth 2014, Theorem 3.16): running
/// mechanisms that are (εᵢ, δᵢ)-DP, even adaptively, is (Σεᵢ, Σδᵢ)-DP.</para>
/// <para><b>Advanced</b> (Dwork, Rothblum, Vadhan 2010; Dwork &amp; Roth 2014, Theorem 3.20): k adaptive runs of an
/// (ε, δ)-DP mechanism are (ε′, kδ + δ′)-DP for every δ′ &gt; 0, with
/// ε′ = √(2k ln(1/δ′)) ε + k ε (e^ε − 1). It grows like √k instead of k, and beats basic composition when k is
/// large and ε small; <see cref="Best"/> takes whichever is smaller.</para>
/// <para>For DP-SGD, where each step is a subsampled Gaussian mechanism, the accountants in
/// <c>ModelSecurity.Privacy.Accounting</c> are far tighter than either theorem.</para>
/// </remarks>
public static class Composition
{
    /// <summary>Basic composition: (Σεᵢ, Σδᵢ), with the δ sum capped at 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Some εᵢ is not a finite number ≥ 0, or some δᵢ is outside [0, 1).</exception>
    public static PrivacyBudget Basic(IEnumerable<(double Epsilon, double Delta)> mechanisms)
    {
        ArgumentNullException.ThrowIfNull(mechanisms);
        double epsilon = 0, delta = 0;
        var index = 0;
        foreach (var (e, d) in mechanisms)
        {
            Guard.NonNegative(e, $"mechanisms[{index}].Epsilon");
            Guard.MechanismDelta(d, $"mechanisms[{index}].Delta");
            epsilon += e;
            delta += d;
            index++;
        }
        return new PrivacyBudget(epsilon, Math.Min(delta, 1.0));
    }

    /// <summary>Basic composition of k runs of one (ε, δ)-DP mechanism: (kε, kδ).</summary>
    public static PrivacyBudget Basic(double epsilon, double delta, int k)
    {
        Guard.NonNegative(epsilon, nameof(epsilon));
        Guard.MechanismDelta(delta);
        Guard.Steps(k, nameof(k));
        return new PrivacyBudget(k * epsilon, Math.Min(k * delta, 1.0));
    }

    /// <summary>
    /// Advanced composition of k runs of an (ε, δ)-DP mechanism with slack δ′:
    /// (√(2k ln(1/δ′)) ε + k ε (e^ε − 1), kδ + δ′).
    /// </summary>
    /// <param name="epsilon">ε ≥ 0 of one run.</param>
    /// <param name="delta">δ in [0, 1) of one run.</param>
    /// <param name="k">Number of runs, ≥ 1.</param>
    /// <param name="deltaSlack">δ′ in (0, 1), the extra failure probability the theorem spends.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument outside the ranges above.</exception>
    public static PrivacyBudget Advanced(double epsilon, double delta, int k, double deltaSlack)
    {
        Guard.NonNegative(epsilon, nameof(epsilon));
        Guard.MechanismDelta(delta);
        Guard.Steps(k, nameof(k));
        Guard.Delta(deltaSlack, nameof(deltaSlack));
        var total = Math.Sqrt(2.0 * k * Math.Log(1.0 / deltaSlack)) * epsilon + k * epsilon * Numerics.LogSpace.ExpM1(epsilon);
        return new PrivacyBudget(total, Math.Min(k * delta + deltaSlack, 1.0));
    }

    /// <summary>
    /// The smaller ε of basic composition (kε, kδ) and advanced composition (at slack δ′); note that the two spend
    /// different δ (kδ versus kδ + δ′), which the returned budget states.
    /// </summary>
    public static PrivacyBudget Best(double epsilon, double delta, int k, double deltaSlack)
    {
        var basic = Basic(epsilon, delta, k);
        var advanced = Advanced(epsilon, delta, k, deltaSlack);
        return advanced.Epsilon < basic.Epsilon ? advanced : basic;
    }
}
