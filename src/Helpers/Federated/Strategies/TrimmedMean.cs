using System.Globalization;

namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018): for every parameter, drop the ⌊β·K⌋ largest and the ⌊β·K⌋
/// smallest of the K client values and average the rest. Tolerates up to ⌊β·K⌋ arbitrary clients per coordinate.
/// Client sizes are ignored.
/// </summary>
public sealed class TrimmedMean : AggregationStrategy
{
    /// <summary>Creates the aggregator.</summary>
    /// <param name="trimFraction">β in [0, 0.5): the fraction cut from each side (0 is the plain mean).</param>
    /// <exception cref="ArgumentOutOfRangeException">β outside [0, 0.5).</exception>
    public TrimmedMean(double trimFraction = 0.1)
    {
        if (!(trimFraction >= 0 && trimFraction < 0.5))
            throw new ArgumentOutOfRangeException(nameof(trimFraction), trimFraction,
                $"The trim fraction β (cut from each side) must lie in [0, 0.5), e.g. 0.1; got {trimFraction}.");
        TrimFraction = trimFraction;
    }

    /// <summary>β, the fraction trimmed from each side.</summary>
    public double TrimFraction { get; }

    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"trimmed mean (β = {TrimFraction:G3})");

    /// <summary>Values dropped from each side for <paramref name="clients"/> updates: ⌊β·K⌋.</summary>
    public int TrimmedPerSide(int clients) => (int)Math.Floor(TrimFraction * clients + 1e-9);

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        int k = updates.Count, trim = TrimmedPerSide(k), kept = k - 2 * trim;
        var column = new float[k];
        var result = new float[globalWeights.Length];
        for (int i = 0; i < result.Length; i++)
        {
            for (int j = 0; j < k; j++) column[j] = updates[j].Delta[i];
            Array.Sort(column);
            double sum = 0;
            for (int j = trim; j < k - trim; j++) sum += column[j];
            result[i] = (float)(globalWeights[i] + sum / kept);
        }
        return result;
    }
}
