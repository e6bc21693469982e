using System.Globalization;

namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// Federated averaging (McMahan et al. 2017): the new global model is the average of the clients' models weighted by
/// their numbers of examples, w ← w + η·Σ_k (n_k / n) Δ_k with n = Σ_k n_k (η = 1 by default, which is exactly the
/// weighted average of the client models).
/// </summary>
public sealed class FedAvg : AggregationStrategy
{
    /// <summary>Creates FedAvg with server learning rate η (default 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">η is not a finite number &gt; 0.</exception>
    public FedAvg(double serverLearningRate = 1.0) => ServerLearningRate = Guard.Positive(serverLearningRate, nameof(serverLearningRate));

    /// <summary>Server learning rate η.</summary>
    public double ServerLearningRate { get; }

    /// <inheritdoc />
    public override string Name => ServerLearningRate == 1 ? "FedAvg" : string.Create(CultureInfo.InvariantCulture, $"FedAvg (η = {ServerLearningRate:G3})");

    /// <summary>Σ_k (n_k / n) Δ_k in double precision: the sample-weighted mean update.</summary>
    /// <exception cref="ArgumentException">No updates, or updates of different lengths.</exception>
    public static double[] WeightedMean(IReadOnlyList<ClientUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0) throw new ArgumentException("Averaging needs at least one update.", nameof(updates));
        int length = updates[0].Delta.Length;
        foreach (var u in updates) VectorMath.CheckSameLength(length, u.Delta.Length, "update");
        double total = updates.Sum(u => (double)u.SampleCount);
        return VectorMath.WeightedSum(updates.Select(u => u.Delta).ToArray(), updates.Select(u => u.SampleCount / total).ToArray(), length);
    }

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates) =>
        VectorMath.AddScaled(globalWeights, WeightedMean(updates), ServerLearningRate);
}
