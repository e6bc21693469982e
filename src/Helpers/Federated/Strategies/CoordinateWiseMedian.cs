namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// Coordinate-wise median (Yin et al. 2018): every parameter of the new model moves by the median of the clients'
/// updates of that parameter (the mean of the two middle values for an even number of clients). Fewer than half of
/// the clients cannot drag a coordinate outside the range of the honest values, whatever they send. Client sizes are
/// ignored (a malicious client could lie about them).
/// </summary>
public sealed class CoordinateWiseMedian : AggregationStrategy
{
    /// <inheritdoc />
    public override string Name => "median";

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        int k = updates.Count;
        var column = new float[k];
        var result = new float[globalWeights.Length];
        for (int i = 0; i < result.Length; i++)
        {
            for (int j = 0; j < k; j++) column[j] = updates[j].Delta[i];
            Array.Sort(column);
            double median = k % 2 == 1 ? column[k / 2] : 0.5 * ((double)column[k / 2 - 1] + column[k / 2]);
            result[i] = (float)(globalWeights[i] + median);
        }
        return result;
    }
}
