namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// Base of the course's strategies: checks the arguments, keeps the model when no update arrived, and leaves the
/// arithmetic to <see cref="Step"/>.
/// </summary>
public abstract class AggregationStrategy : IAggregationStrategy
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public float[] Aggregate(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(globalWeights);
        ArgumentNullException.ThrowIfNull(updates);
        for (int k = 0; k < updates.Count; k++)
        {
            if (updates[k] is null) throw new ArgumentException($"Update {k} is null.", nameof(updates));
            if (updates[k].Delta.Length != globalWeights.Length)
                throw new ArgumentException(
                    $"Client {updates[k].ClientId} sent {updates[k].Delta.Length} values but the model has {globalWeights.Length} parameters.",
                    nameof(updates));
        }
        if (updates.Count == 0 && !AggregatesEmptyRounds) return (float[])globalWeights.Clone();
        return Step(round, globalWeights, updates);
    }

    /// <summary>
    /// Fewest updates the strategy can aggregate (1; Krum needs 2f + 3). The server refuses, before training, a
    /// simulation whose rounds would always sample fewer clients.
    /// </summary>
    public virtual int MinimumUpdates => 1;

    /// <summary>True when <see cref="Step"/> must run even without updates (DP-FedAvg still adds noise and accounts).</summary>
    protected virtual bool AggregatesEmptyRounds => false;

    /// <summary>The new global weights from checked, non-empty updates (or empty ones when <see cref="AggregatesEmptyRounds"/>).</summary>
    protected abstract float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates);

    /// <inheritdoc />
    public override string ToString() => Name;
}
