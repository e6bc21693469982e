namespace ModelSecurity.Federated;

/// <summary>How the server picks the clients of a round, given the client fraction C.</summary>
public enum ClientSampling
{
    /// <summary>McMahan et al. (2017): m = max(1, round(C·N)) distinct clients drawn uniformly at random.</summary>
    FixedCount,

    /// <summary>Every client joins independently with probability C (the number varies, and may be 0); what DP-FedAvg's accounting assumes.</summary>
    Poisson,
}
