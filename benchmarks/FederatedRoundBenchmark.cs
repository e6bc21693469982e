using System.Diagnostics;
using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Federated;
using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// Overhead of the federated simulation: one FedAvg round in which N clients each train one epoch on their share
/// (C = 1, E = 1, batch size B), against one epoch of central training on the same examples with the same batch size
/// and optimizer, measured alternately in one process. The round adds, per client, loading the global weights, a fresh
/// optimizer and data loader, and copying the update out, plus the aggregation; the target is a ratio ≤ 1.3.
/// Each is measured --repeat times and the fastest runs are compared (other load only ever slows a run down); the
/// median of the paired ratios is printed too.
/// Options: --clients N (default 10), --per-client n (default 600), --batch-size B (default 50), --repeat R (default 5),
/// --arch NAME (default mlp), --threads T (TorchSharp's intra-op threads; default: its own choice).
/// </summary>
internal static class FederatedRoundBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        int clientCount = Option(args, "--clients", 10);
        int perClient = Option(args, "--per-client", 600);
        int batchSize = Option(args, "--batch-size", 50);
        int repeat = Option(args, "--repeat", 5);
        string architecture = Text(args, "--arch") ?? "mlp";
        Runtime.TorchRuntime.EnsureLoaded();
        if (Text(args, "--threads") is not null) set_num_threads(Option(args, "--threads", 1));

        using var train = FashionMnist.Load(DataSplit.Train);
        using var data = train.Subset(Math.Min(train.Count, clientCount * perClient), seed: 1);
        using var clients = FederatedClients.Create(data, Partitioner.Iid(data, clientCount, seed: 1));
        var local = new LocalTraining { Epochs = 1, BatchSize = batchSize, LearningRate = 0.05 };
        var options = new FederatedOptions { Rounds = 1, ClientFraction = 1, Local = local };
        Reproducibility.Seed(0);
        using var model = ModelZoo.Create(architecture);
        float[] initial = ModelWeights.Get(model);
        int parameters = initial.Length;

        Console.WriteLine($"Federated round benchmark: {architecture} ({parameters:N0} parameters), {clientCount} clients × {perClient} Fashion-MNIST images, " +
                          $"B = {batchSize}, CPU, {Environment.ProcessorCount} cores, TorchSharp threads {get_num_threads()}, load average {LoadAverage()}");

        double Central()
        {
            ModelWeights.Set(model, initial);
            var clock = Stopwatch.StartNew();
            new Trainer(SilentTrainingReporter.Instance).Fit(model, data, local.ToRecipe(data.Count, seed: 0), CPU);
            return clock.Elapsed.TotalSeconds;
        }

        double aggregationSeconds = double.MaxValue;
        double Federated()
        {
            ModelWeights.Set(model, initial);
            var clock = Stopwatch.StartNew();
            var server = new FederatedServer(model, clients, new TimedStrategy(new FedAvg(), s => aggregationSeconds = Math.Min(aggregationSeconds, s)), options, CPU);
            server.RunRound();
            return clock.Elapsed.TotalSeconds;
        }

        Central(); // warm-up: libtorch kernels, JIT
        Federated();
        var central = new List<double>();
        var federated = new List<double>();
        for (int r = 0; r < repeat; r++)
        {
            central.Add(Central());
            federated.Add(Federated());
        }
        double bestCentral = central.Min(), bestFederated = federated.Min();
        double medianRatio = federated.Zip(central, (f, c) => f / c).Order().ElementAt(repeat / 2);
        Console.WriteLine($"  central, 1 epoch of {data.Count} images          {bestCentral,8:F3} s   runs: {Runs(central)}");
        Console.WriteLine($"  FedAvg round, {clientCount} clients × 1 epoch        {bestFederated,8:F3} s   runs: {Runs(federated)}");
        Console.WriteLine($"    of which aggregation (FedAvg)          {aggregationSeconds,8:F3} s");
        Console.WriteLine($"    traffic: {FederatedHistory.FormatBytes(clientCount * ModelWeights.ByteSize(parameters))} down, same up");
        Console.WriteLine($"  ratio federated / central                {bestFederated / bestCentral,8:F2}   (median of the paired runs' ratios {medianRatio:F2}; target ≤ 1.3)");
        return Task.FromResult(0);
    }

    /// <summary>Wraps a strategy to time its aggregation.</summary>
    private sealed class TimedStrategy(IAggregationStrategy inner, Action<double> report) : IAggregationStrategy
    {
        public string Name => inner.Name;

        public float[] Aggregate(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
        {
            var clock = Stopwatch.StartNew();
            var result = inner.Aggregate(round, globalWeights, updates);
            report(clock.Elapsed.TotalSeconds);
            return result;
        }
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }

    private static string Runs(IEnumerable<double> seconds) =>
        string.Join(", ", seconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)));

    private static int Option(string[] args, string name, int fallback)
    {
        string? text = Text(args, name);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value : throw new ArgumentException($"{name} takes a positive whole number, not '{text}'");
    }

    private static string? Text(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
