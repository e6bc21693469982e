namespace ModelSecurity.Privacy.Accounting;

/// <summary>
/// A run of identical DP-SGD steps in an accountant's history: <see cref="Steps"/> Poisson-subsampled Gaussian
/// mechanisms, each sampling every example with probability <see cref="SampleRate"/> and adding Gaussian noise of
/// standard deviation <see cref="NoiseMultiplier"/> × (L2 clipping norm).
/// </summary>
/// <param name="NoiseMultiplier">σ, noise standard deviation divided by the L2 sensitivity (clipping norm).</param>
/// <param name="SampleRate">q in (0, 1], the Poisson sampling probability (expected batch size / data set size).</param>
/// <param name="Steps">How many steps used these settings (≥ 1).</param>
public readonly record struct AccountingSegment(double NoiseMultiplier, double SampleRate, int Steps);
