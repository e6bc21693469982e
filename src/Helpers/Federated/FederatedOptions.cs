namespace ModelSecurity.Federated;

/// <summary>The settings of a federated simulation: rounds, client fraction C, sampling, local training, seed.</summary>
/// <remarks>Every value is checked when it is set: a bad one throws <see cref="ArgumentOutOfRangeException"/>.</remarks>
public sealed record FederatedOptions
{
    /// <summary>Communication rounds (≥ 1).</summary>
    public int Rounds
    {
        get;
        init => field = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Rounds), value, $"A simulation runs at least 1 round; got {value}.");
    } = 10;

    /// <summary>C in (0, 1]: the fraction of clients that take part in a round (1: all of them).</summary>
    public double ClientFraction
    {
        get;
        init => field = CheckClientFraction(value, nameof(ClientFraction));
    } = 0.1;

    /// <summary>How the clients of a round are drawn.</summary>
    public ClientSampling Sampling
    {
        get;
        init => field = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Sampling), value, "Use ClientSampling.FixedCount or ClientSampling.Poisson.");
    } = ClientSampling.FixedCount;

    /// <summary>What every client does in a round.</summary>
    public LocalTraining Local
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Local));
    } = new();

    /// <summary>
    /// Share of the sampled clients that are stragglers in a round (the "systems heterogeneity" of Li et al., FedProx,
    /// MLSys 2020): each sampled client is one with this probability (seeded per round and client) and completes only a
    /// uniformly random 1 … E − 1 of the E local epochs. 0 (default): none; no effect when E = 1.
    /// </summary>
    public double StragglerFraction
    {
        get;
        init => field = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(StragglerFraction), value, $"The straggler fraction must lie in [0, 1), e.g. 0.5; got {value}.");
    }

    /// <summary>
    /// True: the server waits for no straggler and aggregates only the clients that completed all E epochs (FedAvg as Li
    /// et al. run it); false (default): stragglers' partial work is aggregated like any update (FedProx).
    /// </summary>
    public bool DropStragglers { get; init; }

    /// <summary>Seed of the client sampling and of the clients' shuffling.</summary>
    public int Seed { get; init; }

    /// <summary>Evaluate the global model on the test set every this many rounds (≥ 1; the last round always).</summary>
    public int EvaluateEvery
    {
        get;
        init => field = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(EvaluateEvery), value, $"EvaluateEvery must be at least 1; got {value}.");
    } = 1;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless C lies in (0, 1].</summary>
    public static double CheckClientFraction(double value, string name = "clientFraction")
    {
        if (double.IsNaN(value) || value <= 0 || value > 1)
            throw new ArgumentOutOfRangeException(name, value,
                $"The client fraction C must lie in (0, 1] (the share of clients sampled per round, e.g. 0.1; 1 = all); got {value}.");
        return value;
    }
}
