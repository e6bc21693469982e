using System.Diagnostics;
using System.Globalization;
using System.Text;
using ModelSecurity.Data;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated;

/// <summary>
/// The server of a federated-learning simulation (McMahan et al. 2017's FederatedAveraging loop, with the aggregation
/// left to an <see cref="IAggregationStrategy"/> as in Flower): every round it samples clients, sends them the global
/// weights, collects their updates, aggregates them into the next global model, evaluates it, and reports a line.
/// </summary>
/// <example>
/// <code>
/// using var clients = FederatedClients.Create(train, Partitioner.Dirichlet(train, clients: 20, alpha: 0.5, seed: 1));
/// var server = new FederatedServer(ModelZoo.Create("mlp"), clients, new FedAvg(),
///     new FederatedOptions { Rounds = 20, ClientFraction = 0.25, Local = new LocalTraining { Epochs = 1, BatchSize = 32 } },
///     TorchRuntime.PickDevice(), test);
/// FederatedHistory history = server.Run();
/// </code>
/// </example>
public sealed class FederatedServer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly IReadOnlyList<FederatedClient> _clients;
    private readonly Device _device;
    private readonly ImageDataset? _test;
    private readonly TextWriter? _output;
    private float[] _global;

    /// <summary>Sets up a simulation; the global model starts from <paramref name="model"/>'s current weights.</summary>
    /// <param name="model">The model; it holds the global weights after every round (and is moved to <paramref name="device"/>).</param>
    /// <param name="clients">The clients, ids 0 … N − 1 in order.</param>
    /// <param name="strategy">How updates are aggregated.</param>
    /// <param name="options">Rounds, client fraction, local training, seed.</param>
    /// <param name="device">Where clients train and the model is evaluated (default the CPU).</param>
    /// <param name="test">Evaluated after every <see cref="FederatedOptions.EvaluateEvery"/> rounds when given.</param>
    /// <param name="output">Where progress lines and the summary go (null: nowhere).</param>
    /// <exception cref="ArgumentException">No clients, ids not 0 … N − 1, or a strategy that needs more updates per round than the sampling gives.</exception>
    public FederatedServer(nn.Module<Tensor, Tensor> model, IReadOnlyList<FederatedClient> clients, IAggregationStrategy strategy,
        FederatedOptions options, Device? device = null, ImageDataset? test = null, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(options);
        if (clients.Count == 0) throw new ArgumentException("A simulation needs at least one client.", nameof(clients));
        for (int i = 0; i < clients.Count; i++)
            if (clients[i] is null || clients[i].Id != i)
                throw new ArgumentException($"Client ids must be 0 … {clients.Count - 1} in order; position {i} holds {(clients[i] is null ? "null" : $"id {clients[i].Id}")}.", nameof(clients));
        if (strategy is AggregationStrategy { MinimumUpdates: > 1 } needy && options.Sampling == ClientSampling.FixedCount
            && ClientSampler.ClientsPerRound(clients.Count, options.ClientFraction) < needy.MinimumUpdates)
            throw new ArgumentException(
                $"{strategy.Name} needs at least {needy.MinimumUpdates} updates per round, but C = {options.ClientFraction} of {clients.Count} clients " +
                $"samples {ClientSampler.ClientsPerRound(clients.Count, options.ClientFraction)}. Raise C or tolerate fewer Byzantine clients.",
                nameof(strategy));
        if (strategy is IDifferentiallyPrivateStrategy dp && (dp.TotalClients != clients.Count || dp.ClientFraction != options.ClientFraction))
            throw new ArgumentException(
                $"{strategy.Name} accounts for q = {dp.ClientFraction} and N = {dp.TotalClients}, but the simulation samples C = {options.ClientFraction} " +
                $"of {clients.Count} clients. Create the strategy with the simulation's values.", nameof(strategy));

        _model = model;
        _clients = clients;
        Strategy = strategy;
        Options = options;
        _device = device ?? CPU;
        _test = test;
        _output = output;
        _model.to(_device);
        _global = ModelWeights.Get(_model);
        History = new FederatedHistory(strategy.Name, clients.Count, options, _global.Length);
    }

    /// <summary>The aggregation strategy.</summary>
    public IAggregationStrategy Strategy { get; }

    /// <summary>The simulation's options.</summary>
    public FederatedOptions Options { get; }

    /// <summary>Rounds finished so far.</summary>
    public int Round { get; private set; }

    /// <summary>The rounds so far.</summary>
    public FederatedHistory History { get; }

    /// <summary>A copy of the current global weights.</summary>
    public float[] GlobalWeights => (float[])_global.Clone();

    /// <summary>
    /// Extra measurements of the global model after each evaluated round, by name — e.g.
    /// <c>["backdoor ASR"] = m =&gt; attack.SuccessRate(m, test, device) ?? double.NaN</c>.
    /// </summary>
    public IReadOnlyDictionary<string, Func<nn.Module<Tensor, Tensor>, double>>? Probes { get; init; }

    /// <summary>The seed of client <paramref name="clientId"/>'s shuffling in round <paramref name="round"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static int ClientSeed(int seed, int round, int clientId) => SeedMixer.Mix(seed, SeedMixer.Training, round, clientId);

    /// <summary>Runs the remaining rounds up to <see cref="FederatedOptions.Rounds"/>, then writes the summary.</summary>
    public FederatedHistory Run()
    {
        using var progress = Runtime.Progress.Start("federated training", Options.Rounds, "round");
        progress.Report(Round);
        while (Round < Options.Rounds)
        {
            var metrics = RunRound();
            if (metrics.TestAccuracy is { } accuracy) progress.Metric("test acc", accuracy, "P1");
            progress.Report(Round);
        }
        _output?.WriteLine(History.Summary());
        return History;
    }

    /// <summary>
    /// One round: sample, train every sampled client from the global weights (checking for an interruption between
    /// clients), aggregate, load the new weights into the model, evaluate, report.
    /// </summary>
    public RoundMetrics RunRound()
    {
        Runtime.Interruption.ThrowIfRequested();
        var clock = Stopwatch.StartNew();
        int round = Round + 1;
        int[] sampled = ClientSampler.Sample(_clients.Count, Options.ClientFraction, Options.Sampling, Options.Seed, round);
        var updates = new List<ClientUpdate>(sampled.Length);
        long bytesUp = 0, bytesDown = 0;
        using var progress = Runtime.Progress.Start($"round {round}", sampled.Length, "client");
        foreach (int id in sampled)
        {
            Runtime.Interruption.ThrowIfRequested();
            bytesDown += ModelWeights.ByteSize(_global.Length);
            var local = Options.Local;
            if (Options.StragglerFraction > 0 && local.Epochs > 1)
            {
                var straggling = new Random(SeedMixer.Mix(Options.Seed, SeedMixer.Straggler, round, id));
                if (straggling.NextDouble() < Options.StragglerFraction)
                {
                    if (Options.DropStragglers) { progress.Advance(); continue; }   // the server does not wait for it
                    local = local with { Epochs = 1 + straggling.Next(local.Epochs - 1) };
                }
            }
            var update = _clients[id].Train(_model, _global, local, _device, ClientSeed(Options.Seed, round, id));
            bytesUp += update.Bytes;
            updates.Add(update);
            progress.Advance();
        }

        // Colluding attackers see all of their round's updates before any is aggregated (Baruch et al. 2019's threat model).
        foreach (var group in updates.Where(u => _clients[u.ClientId].Attack is not null).GroupBy(u => _clients[u.ClientId].Attack!))
            group.Key.PoisonRound(group.Select(u => u.Delta).ToList());

        if (updates.Count > 0) _global = Strategy.Aggregate(round, _global, updates);   // all dropped as stragglers: no change
        ModelWeights.Set(_model, _global);
        Round = round;

        double? accuracy = null, loss = null;
        var probes = new Dictionary<string, double>();
        if (round % Options.EvaluateEvery == 0 || round == Options.Rounds)
        {
            if (_test is not null)
            {
                var result = Evaluator.Evaluate(_model, _test, _device);
                accuracy = result.Accuracy;
                loss = result.Loss;
            }
            if (Probes is not null)
                foreach (var (name, probe) in Probes) probes[name] = probe(_model);
        }
        _model.eval();
        double? epsilon = Strategy is IDifferentiallyPrivateStrategy dp ? dp.Epsilon : null;
        double clientLoss = updates.Count == 0 ? double.NaN
            : updates.Sum(u => u.TrainLoss * u.SampleCount) / updates.Sum(u => (double)u.SampleCount);
        clock.Stop();

        var metrics = new RoundMetrics(round, sampled, accuracy, loss, clientLoss, bytesUp, bytesDown, clock.Elapsed.TotalSeconds, epsilon, probes);
        History.Add(metrics);
        _output?.WriteLine(Format(metrics));
        return metrics;
    }

    private string Format(RoundMetrics m)
    {
        var culture = CultureInfo.InvariantCulture;
        var line = new StringBuilder();
        int width = Options.Rounds.ToString(culture).Length;
        line.Append(culture, $"round {m.Round.ToString(culture).PadLeft(width)}/{Options.Rounds}: {m.Clients.Count} clients");
        if (m.TestAccuracy is { } a) line.Append(culture, $"  test acc {a:P2}  loss {m.TestLoss:F4}");
        if (!double.IsNaN(m.MeanClientLoss)) line.Append(culture, $"  client loss {m.MeanClientLoss:F4}");
        foreach (var (name, value) in m.Probes) line.Append(culture, $"  {name} {value:P1}");
        if (m.Epsilon is { } e) line.Append(culture, $"  ε {e:F3}");
        line.Append(culture, $"  up {FederatedHistory.FormatBytes(m.BytesUp)}  down {FederatedHistory.FormatBytes(m.BytesDown)}  {m.Seconds:F2} s");
        return line.ToString();
    }
}
