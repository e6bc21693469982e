using System.Globalization;
using ModelSecurity.Federated.Strategies;

namespace ModelSecurity.Federated.SecureAggregation;

/// <summary>
/// FedAvg through secure aggregation: the server obtains the sample-weighted mean update without seeing any client's
/// update. Each client k sends the fixed-point encoding of [p_k·Δ_k, p_k] with p_k = n_k / Σ n (the sample counts
/// are public, as in Flower), masked as in <see cref="SecureAggregationProtocol"/>; the server decodes the sum and
/// divides by the summed weights, so the result is the weighted mean over the clients that did not drop out.
/// </summary>
/// <remarks>
/// This is a simulation: the strategy performs the clients' masking too, but only the masked vectors, the revealed
/// seeds and the sum feed the server's computation (kept in <see cref="LastResult"/> for inspection). The result
/// differs from <see cref="FedAvg"/> only by the fixed-point rounding (at most 1/(2·scale) per coordinate and client).
/// With <see cref="DropoutProbability"/> &gt; 0 each client independently drops after the key exchange; if all drop,
/// the round keeps the model.
/// </remarks>
public sealed class SecureFedAvg : AggregationStrategy
{
    private readonly int _seed;

    /// <summary>Creates the strategy.</summary>
    /// <param name="scale">Fixed-point scale (default <see cref="FixedPoint.DefaultScale"/>, 2²⁰).</param>
    /// <param name="dropoutProbability">Probability in [0, 1) that a client drops after advertising its key.</param>
    /// <param name="seed">Seed of the dropout draws.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public SecureFedAvg(double scale = FixedPoint.DefaultScale, double dropoutProbability = 0, int seed = 0)
    {
        Scale = Guard.Positive(scale, nameof(scale));
        if (!(dropoutProbability >= 0 && dropoutProbability < 1))
            throw new ArgumentOutOfRangeException(nameof(dropoutProbability), dropoutProbability,
                $"The dropout probability must lie in [0, 1); got {dropoutProbability}.");
        DropoutProbability = dropoutProbability;
        _seed = seed;
    }

    /// <summary>Fixed-point scale.</summary>
    public double Scale { get; }

    /// <summary>Probability that a client drops out after the key exchange.</summary>
    public double DropoutProbability { get; }

    /// <summary>The last round's protocol run (masked inputs, survivors, dropped clients); null before the first.</summary>
    public SecureAggregationResult? LastResult { get; private set; }

    /// <inheritdoc />
    public override string Name => DropoutProbability == 0
        ? "SecureAgg FedAvg"
        : string.Create(CultureInfo.InvariantCulture, $"SecureAgg FedAvg (dropout {DropoutProbability:P0})");

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        double total = updates.Sum(u => (double)u.SampleCount);
        int length = globalWeights.Length;
        var inputs = new Dictionary<int, uint[]>();
        foreach (var update in updates)
        {
            float p = (float)(update.SampleCount / total);
            var weighted = new float[length + 1];
            for (int i = 0; i < length; i++) weighted[i] = p * update.Delta[i];
            weighted[length] = p;
            if (!inputs.TryAdd(update.ClientId, FixedPoint.Encode(weighted, Scale, updates.Count)))
                throw new ArgumentException($"Client {update.ClientId} sent two updates in round {round}.", nameof(updates));
        }

        var random = new Random(SeedMixer.Mix(_seed, SeedMixer.Server, round));
        var dropouts = updates.Select(u => u.ClientId).Where(_ => random.NextDouble() < DropoutProbability).ToList();
        if (dropouts.Count == updates.Count)
        {
            LastResult = null;
            return (float[])globalWeights.Clone();
        }
        var result = SecureAggregationProtocol.Run(inputs, round, dropouts);
        LastResult = result;

        int[] sum = FixedPoint.AsSigned(result.Sum); // the scale cancels in the ratio
        double weight = sum[length];
        var mean = new double[length];
        for (int i = 0; i < length; i++) mean[i] = sum[i] / weight;
        return VectorMath.AddScaled(globalWeights, mean, 1.0);
    }
}
