using System.Globalization;

namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// FedAvg with server momentum (Hsu et al. 2019): with Δ̄ the sample-weighted mean update of the round,
/// v ← β·v + Δ̄ and w ← w + η·v (v starts at 0). With β = 0 and η = 1 this is FedAvg. Momentum smooths the
/// direction of the global model across rounds, which helps with non-IID clients.
/// </summary>
public sealed class FedAvgM : AggregationStrategy
{
    private double[]? _velocity;

    /// <summary>Creates FedAvgM.</summary>
    /// <param name="serverLearningRate">η &gt; 0 (default 1).</param>
    /// <param name="momentum">β in [0, 1) (default 0.9).</param>
    /// <exception cref="ArgumentOutOfRangeException">η not a finite number &gt; 0, or β outside [0, 1).</exception>
    public FedAvgM(double serverLearningRate = 1.0, double momentum = 0.9)
    {
        ServerLearningRate = Guard.Positive(serverLearningRate, nameof(serverLearningRate));
        if (!(momentum >= 0 && momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"Server momentum β must lie in [0, 1), e.g. 0.9; got {momentum}.");
        Momentum = momentum;
    }

    /// <summary>Server learning rate η.</summary>
    public double ServerLearningRate { get; }

    /// <summary>Server momentum β.</summary>
    public double Momentum { get; }

    /// <summary>A copy of the momentum vector v (null before the first round).</summary>
    public double[]? Velocity => (double[]?)_velocity?.Clone();

    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"FedAvgM (η = {ServerLearningRate:G3}, β = {Momentum:G3})");

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        double[] mean = FedAvg.WeightedMean(updates);
        if (_velocity is null || _velocity.Length != mean.Length)
        {
            if (_velocity is not null)
                throw new ArgumentException($"FedAvgM was used with {_velocity.Length} parameters and now gets {mean.Length}; create a new strategy per model.");
            _velocity = new double[mean.Length];
        }
        for (int i = 0; i < mean.Length; i++) _velocity[i] = Momentum * _velocity[i] + mean[i];
        return VectorMath.AddScaled(globalWeights, _velocity, ServerLearningRate);
    }
}
