namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// How the server turns a round's client updates into the next global model (Flower's <c>Strategy.aggregate_fit</c>):
/// FedAvg, server optimizers (FedAvgM, FedAdam), robust aggregators (median, trimmed mean, Krum), DP-FedAvg,
/// secure aggregation. The <see cref="FederatedServer"/> calls it once per round.
/// </summary>
public interface IAggregationStrategy
{
    /// <summary>Short name for progress lines and tables, e.g. "FedAvg" or "Krum (f = 2)".</summary>
    string Name { get; }

    /// <summary>
    /// The next global weights. Never modifies its arguments. Stateful strategies (server momentum, Adam moments,
    /// privacy accounting) advance their state by one round.
    /// </summary>
    /// <param name="round">1-based round number.</param>
    /// <param name="globalWeights">The global weights the clients started from.</param>
    /// <param name="updates">The updates received this round (may be empty: most strategies then keep the model).</param>
    /// <exception cref="ArgumentException">An update's length differs from the global vector's, or the strategy cannot work with this many updates.</exception>
    float[] Aggregate(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates);
}
