using System.Diagnostics;
using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Federated;
using ModelSecurity.IO;
using ModelSecurity.Runtime;

using static ModelSecurity.Cli.CommonOptions;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course federated-rounds</c>: the McMahan et al. comparison of communication rounds to a target accuracy — FedSGD
/// against FedAvg with several (E, B), on IID and on Dirichlet non-IID clients — written as a Markdown table.
/// </summary>
public sealed class FederatedRoundsCommand : ICommand
{
    /// <summary>Where <c>--ship</c> writes the table (chapter 06 shows it).</summary>
    public const string ShippedTable = "data/results/fedavg-rounds.md";

    public string Name => "federated-rounds";

    public string Summary => "rounds to a target accuracy: FedSGD vs FedAvg (E, B) on IID and non-IID clients (McMahan et al. 2017)";

    public string Help => $"""
        Usage: course federated-rounds [--clients N] [--fraction C] [--alpha A] [--target ACC] [--max-rounds R]
                                       [--fedavg-lr LR] [--fedsgd-lr LR] [--test-images N] [--train-images N]
                                       [--arch NAME] [-o PATH | --ship] [--seed S] [--device D]

        Splits the Fashion-MNIST training set among N clients (IID, and Dirichlet(α) over labels), then runs FedSGD
        (E = 1, B = ∞) and FedAvg with (E, B) = (1, 50), (1, 10), (5, 50) and (5, 10), every run from the same initial
        weights and with the same sampled clients, until the global model reaches the target test accuracy or the
        round limit. Prints one line per run and a Markdown table of the rounds and the speed-up over FedSGD.

        Options:
          --clients N        number of clients (default 100, as in McMahan et al.)
          --fraction C       fraction of clients per round (default 0.1)
          --alpha A          Dirichlet concentration of the non-IID split (default 0.1)
          --target ACC       target test accuracy in (0, 1] (default 0.8)
          --max-rounds R     round limit of every run (default 300)
          --fedavg-lr LR     client learning rate of FedAvg (default 0.05)
          --fedsgd-lr LR     learning rate of FedSGD's full-batch step (default 0.5)
          --test-images N    test images evaluated after every round (default 2000)
          --train-images N   training images split among the clients (default: all 60 000)
          --arch NAME        model architecture (default mlp)
          -o PATH            write the Markdown table to PATH (default artifacts/fedavg-rounds.md)
          --ship             write it to {ShippedTable}, which chapter 06 shows
          --seed S           seed of the initial weights, the splits and the sampling (default 0)
          --device D         cpu, cuda or cuda:N

        Exit codes: 0 done, 2 bad usage or a missing/corrupt data file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("clients", true), new("fraction", true), new("alpha", true), new("target", true), new("max-rounds", true), new("fedavg-lr", true),
        new("fedsgd-lr", true), new("test-images", true), new("train-images", true), new("arch", true), new("output", true, "o"), new("ship", false),
        new("seed", true), new("device", true),
    ];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        int clients = Int(args, "clients", 100, min: 1);
        double fraction = Number(args, "fraction", 0.1);
        if (fraction > 1) throw new UsageException("--fraction takes a number in (0, 1]");
        double alpha = Number(args, "alpha", 0.1);
        double target = Number(args, "target", 0.8);
        if (target > 1) throw new UsageException("--target takes an accuracy in (0, 1], e.g. 0.8");
        int maxRounds = Int(args, "max-rounds", 300, min: 1);
        double fedAvgLr = Number(args, "fedavg-lr", 0.05);
        double fedSgdLr = Number(args, "fedsgd-lr", 0.5);
        int testImages = Int(args, "test-images", 2000, min: 1);
        int? trainImages = args.Value("train-images") is null ? null : Int(args, "train-images", 0, min: 1);
        int seed = Int(args, "seed", 0, min: 0);
        string architecture = args.Value("arch") ?? "mlp";
        if (args.Flag("ship") && args.Value("output") is not null) throw new UsageException("give either -o PATH or --ship, not both");
        if (args.Flag("ship") && trainImages is not null) throw new UsageException("--ship replaces the shipped table, which uses all training images: drop --train-images");
        string output = Path.GetFullPath(args.Flag("ship") ? Path.Combine(CoursePaths.Root, ShippedTable)
            : args.Value("output") ?? Path.Combine(CoursePaths.Root, "artifacts", "fedavg-rounds.md"));

        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);
        var clock = Stopwatch.StartNew();
        using var fullTrain = FashionMnist.Load(DataSplit.Train);
        using var fullTest = FashionMnist.Load(DataSplit.Test);
        if (trainImages > fullTrain.Count) throw new UsageException($"--train-images must be at most {fullTrain.Count}");
        if (clients > (trainImages ?? fullTrain.Count)) throw new UsageException("--clients must not exceed the number of training images");
        using var subset = trainImages is { } n && n < fullTrain.Count ? fullTrain.Subset(n, seed) : null;
        var train = subset ?? fullTrain;
        using var test = fullTest.Take(Math.Min(testImages, fullTest.Count));

        var fedAvg = new LocalTraining { Epochs = 1, BatchSize = 50, LearningRate = fedAvgLr };
        var settings = new (string, LocalTraining)[]
        {
            ("FedSGD (E = 1, B = ∞)", LocalTraining.FedSgd(fedSgdLr)),
            ("FedAvg (E = 1, B = 50)", fedAvg),
            ("FedAvg (E = 1, B = 10)", fedAvg with { BatchSize = 10 }),
            ("FedAvg (E = 5, B = 50)", fedAvg with { Epochs = 5 }),
            ("FedAvg (E = 5, B = 10)", fedAvg with { Epochs = 5, BatchSize = 10 }),
        };
        var c = CultureInfo.InvariantCulture;
        var o = context.Out;
        o.WriteLine(string.Create(c, $"{architecture} on {train.Count} Fashion-MNIST images split among {clients} clients, C = {fraction}, target {target:P0} " +
                                     $"on {test.Count} test images, at most {maxRounds} rounds; FedAvg lr {fedAvgLr}, FedSGD lr {fedSgdLr}; device {device}"));
        var rows = RoundsToTarget.Compare(architecture, train, test, settings, clients, fraction, alpha, target, maxRounds, device, seed, o);

        string table = RoundsToTarget.ToMarkdown(rows, target);
        string header = string.Create(c,
            $"# Rounds to {target:P0} test accuracy: FedSGD vs FedAvg, IID vs non-IID\n\n" +
            $"{architecture}, Fashion-MNIST, {train.Count} training images split among {clients} clients (IID, and Dirichlet(α = {alpha}) over labels), " +
            $"C = {fraction} ({Math.Max(1, (int)Math.Round(fraction * clients))} clients per round), FedAvg aggregation weighted by client size. " +
            $"Client SGD learning rate {fedAvgLr} for FedAvg and {fedSgdLr} for FedSGD's single full-batch step. Accuracy on the first {test.Count} test images " +
            $"after every round; every run starts from the same initial weights (seed {seed}) and stops at the target or after {maxRounds} rounds. " +
            $"u = E·⌈n_k/B⌉ local steps per round for the mean client size. Speed-up: FedSGD's rounds divided by the row's, on the same partition " +
            $"(\"≥\" when FedSGD did not reach the target within the limit).\n\n" +
            $"Produced by `course federated-rounds{(args.Flag("ship") ? " --ship" : "")}` in {clock.Elapsed.TotalMinutes:F0} min.\n\n");
        AtomicFile.WriteAllText(output, header + table);
        o.WriteLine();
        o.WriteLine(table);
        o.WriteLine($"Saved {output}");
        o.WriteLine(string.Create(c, $"Summary: {rows.Count} runs in {clock.Elapsed.TotalMinutes:F1} min."));
        return Task.FromResult(ExitCodes.Ok);
    }

    private static int Int(ParsedArgs args, string name, int fallback, int min) =>
        args.Value(name) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min ? v
        : throw new UsageException($"--{name} takes a whole number ≥ {min}, not '{text}'");

    private static double Number(ParsedArgs args, string name, double fallback) =>
        args.Value(name) is { } text ? PositiveNumber(text, "--" + name) : fallback;
}
