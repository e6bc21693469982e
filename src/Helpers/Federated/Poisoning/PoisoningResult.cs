namespace ModelSecurity.Federated.Poisoning;

/// <summary>One cell pair of a <see cref="PoisoningTable"/>: an attack against an aggregator.</summary>
/// <param name="Attack">Name of the attack ("none" for the honest baseline).</param>
/// <param name="Aggregator">Name of the aggregation strategy.</param>
/// <param name="MaliciousClients">How many clients ran the attack.</param>
/// <param name="CleanAccuracy">Test accuracy of the final global model on clean images.</param>
/// <param name="AttackSuccessRate">The attack's success rate on the final model, or null for untargeted attacks and the baseline.</param>
/// <param name="Seconds">Wall-clock time of the simulation.</param>
public sealed record PoisoningResult(
    string Attack, string Aggregator, int MaliciousClients, double CleanAccuracy, double? AttackSuccessRate, double Seconds);
