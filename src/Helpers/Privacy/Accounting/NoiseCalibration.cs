namespace ModelSecurity.Privacy.Accounting;

/// <summary>
/// Finds the noise multiplier that meets a target (ε, δ) for a DP-SGD schedule, by the doubling-then-bisection
/// search of Opacus's <c>get_noise_multiplier</c>.
/// </summary>
public static class NoiseCalibration
{
    /// <summary>The search gives up above this σ (Opacus's MAX_SIGMA).</summary>
    public const double MaxNoiseMultiplier = 1e6;

    /// <summary>
    /// The smallest noise multiplier σ (to within the tolerance) for which <paramref name="steps"/> steps at sample
    /// rate q are (ε, δ)-DP according to the accountant made by <paramref name="accountantFactory"/>.
    /// </summary>
    /// <remarks>
    /// As in Opacus: σ_high starts at 10 and doubles until ε(σ_high) ≤ target; then the interval [σ_low, σ_high]
    /// with σ_low = 0 is halved until target − ε(σ_high) ≤ <paramref name="epsilonTolerance"/>. The returned σ is
    /// σ_high, so its ε never exceeds the target.
    /// </remarks>
    /// <param name="targetEpsilon">Target ε &gt; 0.</param>
    /// <param name="delta">Target δ in (0, 1).</param>
    /// <param name="sampleRate">q in (0, 1].</param>
    /// <param name="steps">Number of steps ≥ 1 (epochs / q for Poisson sampling).</param>
    /// <param name="accountantFactory">Makes a fresh, empty accountant per evaluation, e.g. <c>() =&gt; new RdpAccountant()</c>.</param>
    /// <param name="epsilonTolerance">How far below the target the final ε may lie, &gt; 0; default 0.01.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument outside its range, or a target ε that even
    /// σ = <see cref="MaxNoiseMultiplier"/> cannot reach.</exception>
    /// <exception cref="ArgumentException">The factory returns null or an accountant with a history.</exception>
    public static double NoiseMultiplierFor(double targetEpsilon, double delta, double sampleRate, int steps,
        Func<IPrivacyAccountant> accountantFactory, double epsilonTolerance = 0.01)
    {
        Guard.PrivacyEpsilon(targetEpsilon, nameof(targetEpsilon));
        Guard.Delta(delta);
        Guard.SampleRate(sampleRate);
        Guard.Steps(steps);
        ArgumentNullException.ThrowIfNull(accountantFactory);
        Guard.Positive(epsilonTolerance, nameof(epsilonTolerance));

        double EpsilonAt(double sigma)
        {
            var accountant = accountantFactory()
                ?? throw new ArgumentException("the accountant factory returned null.", nameof(accountantFactory));
            if (accountant.History.Count != 0)
                throw new ArgumentException("the accountant factory must return a fresh accountant with an empty history.", nameof(accountantFactory));
            accountant.Step(sigma, sampleRate, steps);
            return accountant.GetEpsilon(delta);
        }

        double sigmaLow = 0, sigmaHigh = 10, epsilonHigh = double.PositiveInfinity;
        while (epsilonHigh > targetEpsilon)
        {
            sigmaHigh *= 2;
            epsilonHigh = EpsilonAt(sigmaHigh);
            if (sigmaHigh > MaxNoiseMultiplier)
                throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon,
                    $"target ε = {targetEpsilon} at δ = {delta} is unreachable: even noise multiplier {sigmaHigh:G3} gives ε = {epsilonHigh:G4} "
                    + $"for {steps} steps at sample rate {sampleRate}. Raise the target ε or δ, or take fewer steps or a smaller sample rate.");
        }

        while (targetEpsilon - epsilonHigh > epsilonTolerance)
        {
            var sigma = (sigmaLow + sigmaHigh) / 2;
            var epsilon = EpsilonAt(sigma);
            if (epsilon < targetEpsilon)
            {
                sigmaHigh = sigma;
                epsilonHigh = epsilon;
            }
            else
            {
                sigmaLow = sigma;
            }
        }
        return sigmaHigh;
    }
}
