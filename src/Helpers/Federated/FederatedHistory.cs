using System.Globalization;
using System.Text;

namespace ModelSecurity.Federated;

/// <summary>The rounds of a federated simulation, in order, with totals and a short summary.</summary>
public sealed class FederatedHistory
{
    private readonly List<RoundMetrics> _rounds = [];

    /// <summary>Creates an empty history.</summary>
    public FederatedHistory(string strategy, int clients, FederatedOptions options, int parameters)
    {
        Strategy = strategy;
        Clients = clients;
        Options = options;
        Parameters = parameters;
    }

    /// <summary>Name of the aggregation strategy.</summary>
    public string Strategy { get; }

    /// <summary>Number of clients N.</summary>
    public int Clients { get; }

    /// <summary>The simulation's options.</summary>
    public FederatedOptions Options { get; }

    /// <summary>Parameters P of the model (each transfer is 4·P bytes).</summary>
    public int Parameters { get; }

    /// <summary>One record per finished round.</summary>
    public IReadOnlyList<RoundMetrics> Rounds => _rounds;

    /// <summary>Total bytes uploaded by clients.</summary>
    public long TotalBytesUp => _rounds.Sum(r => r.BytesUp);

    /// <summary>Total bytes downloaded by clients.</summary>
    public long TotalBytesDown => _rounds.Sum(r => r.BytesDown);

    /// <summary>Total wall-clock seconds.</summary>
    public double TotalSeconds => _rounds.Sum(r => r.Seconds);

    /// <summary>The last measured test accuracy (null if never evaluated).</summary>
    public double? FinalAccuracy => _rounds.LastOrDefault(r => r.TestAccuracy is not null)?.TestAccuracy;

    /// <summary>The round with the best test accuracy (null if never evaluated).</summary>
    public RoundMetrics? BestRound => _rounds.Where(r => r.TestAccuracy is not null).MaxBy(r => r.TestAccuracy);

    internal void Add(RoundMetrics round) => _rounds.Add(round);

    /// <summary>A few lines: strategy, clients, local training, final and best accuracy, traffic, time, ε.</summary>
    public string Summary()
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(culture, $"{Strategy}: {_rounds.Count} round(s), {Clients} clients, C = {Options.ClientFraction:G3}");
        text.Append(culture, $" ({(Options.Sampling == ClientSampling.Poisson ? "Poisson" : "fixed count")}), {Options.Local}");
        text.AppendLine();
        if (FinalAccuracy is { } final)
        {
            var best = BestRound!;
            text.Append(culture, $"  final test accuracy {final:P2}, best {best.TestAccuracy:P2} at round {best.Round}");
            if (_rounds.LastOrDefault(r => r.TestLoss is not null)?.TestLoss is { } loss) text.Append(culture, $", final test loss {loss:F4}");
            text.AppendLine();
        }
        text.Append(culture, $"  traffic: {FormatBytes(TotalBytesUp)} up, {FormatBytes(TotalBytesDown)} down ({Parameters:N0} parameters = {FormatBytes(ModelWeights.ByteSize(Parameters))} per transfer)");
        text.AppendLine();
        text.Append(culture, $"  time: {TotalSeconds:F1} s ({(_rounds.Count == 0 ? 0 : TotalSeconds / _rounds.Count):F2} s per round)");
        if (_rounds.LastOrDefault()?.Epsilon is { } epsilon) text.Append(culture, $"; client-level ε = {epsilon:F3}");
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Summary();

    /// <summary>"12.3 MB" (decimal units).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:F1} kB"),
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F1} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:F2} GB"),
    };
}
