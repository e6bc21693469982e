using System.Globalization;

namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// Adaptive server optimizer FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): with Δ̄ the
/// sample-weighted mean update (the negative pseudo-gradient),
/// m ← β₁·m + (1 − β₁)·Δ̄,  v ← β₂·v + (1 − β₂)·Δ̄²,  w ← w + η·m / (√v + τ),
/// per coordinate, with m₀ = 0, v₀ = τ² and no bias correction, as in the paper. τ bounds the step of coordinates
/// whose updates are tiny (the paper tunes it in 10⁻⁶ … 10⁻¹ and finds 10⁻³ a good default).
/// </summary>
public sealed class FedAdam : AggregationStrategy
{
    private double[]? _m, _v;

    /// <summary>Creates FedAdam.</summary>
    /// <param name="serverLearningRate">η &gt; 0 (default 0.01).</param>
    /// <param name="beta1">β₁ in [0, 1) (default 0.9).</param>
    /// <param name="beta2">β₂ in [0, 1) (default 0.99).</param>
    /// <param name="tau">Adaptivity τ &gt; 0 (default 10⁻³).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public FedAdam(double serverLearningRate = 0.01, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-3)
    {
        ServerLearningRate = Guard.Positive(serverLearningRate, nameof(serverLearningRate));
        Beta1 = Decay(beta1, nameof(beta1));
        Beta2 = Decay(beta2, nameof(beta2));
        Tau = Guard.Positive(tau, nameof(tau));
    }

    /// <summary>Server learning rate η.</summary>
    public double ServerLearningRate { get; }

    /// <summary>First-moment decay β₁.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay β₂.</summary>
    public double Beta2 { get; }

    /// <summary>Adaptivity τ.</summary>
    public double Tau { get; }

    /// <summary>A copy of the first moment m (null before the first round).</summary>
    public double[]? FirstMoment => (double[]?)_m?.Clone();

    /// <summary>A copy of the second moment v (null before the first round).</summary>
    public double[]? SecondMoment => (double[]?)_v?.Clone();

    /// <inheritdoc />
    public override string Name =>
        string.Create(CultureInfo.InvariantCulture, $"FedAdam (η = {ServerLearningRate:G3}, β₁ = {Beta1:G3}, β₂ = {Beta2:G3}, τ = {Tau:G3})");

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        double[] delta = FedAvg.WeightedMean(updates);
        if (_m is null || _v is null)
        {
            _m = new double[delta.Length];
            _v = new double[delta.Length];
            Array.Fill(_v, Tau * Tau);
        }
        else if (_m.Length != delta.Length)
            throw new ArgumentException($"FedAdam was used with {_m.Length} parameters and now gets {delta.Length}; create a new strategy per model.");

        var step = new double[delta.Length];
        for (int i = 0; i < delta.Length; i++)
        {
            _m[i] = Beta1 * _m[i] + (1 - Beta1) * delta[i];
            _v[i] = Beta2 * _v[i] + (1 - Beta2) * delta[i] * delta[i];
            step[i] = _m[i] / (Math.Sqrt(_v[i]) + Tau);
        }
        return VectorMath.AddScaled(globalWeights, step, ServerLearningRate);
    }

    private static double Decay(double value, string name) =>
        value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1); got {value}.");
}
