namespace ModelSecurity.Federated;

/// <summary>What one round of a federated simulation measured.</summary>
/// <param name="Round">1-based round number.</param>
/// <param name="Clients">Ids of the clients sampled this round.</param>
/// <param name="TestAccuracy">Accuracy of the new global model on the test set (null when not evaluated this round).</param>
/// <param name="TestLoss">Mean cross-entropy of the new global model on the test set (null when not evaluated).</param>
/// <param name="MeanClientLoss">Sample-weighted mean of the clients' last-epoch training losses (NaN without clients).</param>
/// <param name="BytesUp">Bytes uploaded by the clients: 4 × P per update.</param>
/// <param name="BytesDown">Bytes downloaded by the clients: 4 × P per sampled client.</param>
/// <param name="Seconds">Wall-clock time of the round (training, aggregation and evaluation).</param>
/// <param name="Epsilon">Client-level ε so far, for a differentially private strategy; null otherwise.</param>
/// <param name="Probes">Extra measurements of the global model (e.g. a backdoor's success rate), by name.</param>
public sealed record RoundMetrics(
    int Round,
    IReadOnlyList<int> Clients,
    double? TestAccuracy,
    double? TestLoss,
    double MeanClientLoss,
    long BytesUp,
    long BytesDown,
    double Seconds,
    double? Epsilon,
    IReadOnlyDictionary<string, double> Probes);
