using System.Diagnostics;
using System.Globalization;
using System.Text;
using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.IO;
using ModelSecurity.Models;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Runtime;
using ModelSecurity.Statistics;
using ModelSecurity.Training;

using static ModelSecurity.Cli.CommonOptions;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course robust-overfitting</c>: Rice et al.'s robust-overfitting experiment with a few seeds — robust learning curves
/// on a validation split held out from the training images, and the best epoch's weights against the last ones on other
/// validation images, paired. Chapter 03 shows what <c>--ship</c> writes.
/// </summary>
public sealed class RobustOverfittingCommand : ICommand
{
    /// <summary>Where <c>--ship</c> writes the summary table (curves beside it, one CSV per seed).</summary>
    public const string ShippedTable = "data/results/robust-overfitting.md";

    /// <summary>Validation images held out from the 60 000 training images (as in chapter 03).</summary>
    public const int ValidationImages = 5000;

    public string Name => "robust-overfitting";

    public string Summary => "robust overfitting (Rice et al. 2020): learning curves over a step schedule, best epoch vs last, several seeds";

    public string Help => $"""
        Usage: course robust-overfitting [--seeds N] [--epochs N] [--train-images N] [--curve-images N] [--hold-out N]
                                         [-o DIR | --ship] [--device D]

        Holds {ValidationImages} of the Fashion-MNIST training images out as a validation split (seed 0, as chapter 03 does),
        then for every seed trains the recipe below on a random subset of the rest: {Recipes.RobustOverfitting}.
        After every epoch it measures PGD-10 accuracy on the first validation images (the curve) and keeps the weights
        of the best epoch. Both the best and the last weights are then attacked on the next validation images, which
        played no part in choosing the epoch (clean, PGD-10, APGD-CE-100; paired tests).

        Writes robust-overfitting.md (the table), robust-overfitting-seed<S>.curve.csv per seed, and the best and last
        weights of seed 0 as checkpoints. Results are written after every seed, so an interrupted run keeps the seeds
        it finished. At the defaults a seed takes roughly 10–15 minutes of one CPU core.

        Options:
          --seeds N         seeds 0 … N−1 (default 3); a seed picks the training subset, initial weights and batches
          --epochs N        override the recipe's epochs (the learning rate still drops at half and three quarters)
          --train-images N  override the recipe's training subset ({Recipes.RobustOverfitting.Training.TrainSubset} images)
          --curve-images N  validation images of the curve (default 500)
          --hold-out N      further validation images for best vs last (default 1000)
          -o DIR            write everything to DIR (default artifacts/robust-overfitting)
          --ship            write the table and curves to data/results/ and seed 0's checkpoints to data/checkpoints/
                            ({ShippedModels.RobustOverfittingBestFile}, {ShippedModels.RobustOverfittingLastFile})
          --device D        cpu, cuda or cuda:N (default: COURSE_DEVICE, else CUDA when available, else CPU)

        Exit codes: 0 done, 2 bad usage or a missing/corrupt data file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("seeds", true), new("epochs", true), new("train-images", true), new("curve-images", true), new("hold-out", true),
        new("output", true, "o"), new("ship", false), new("device", true),
    ];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        int seeds = args.Value("seeds") is { } s ? PositiveInt(s, "--seeds") : 3;
        var recipe = Recipes.RobustOverfitting;
        if (args.Value("epochs") is { } e) recipe = recipe with { Training = recipe.Training with { Epochs = PositiveInt(e, "--epochs") } };
        if (args.Value("train-images") is { } t) recipe = recipe with { Training = recipe.Training with { TrainSubset = PositiveInt(t, "--train-images") } };
        int curveImages = args.Value("curve-images") is { } c ? PositiveInt(c, "--curve-images") : 500;
        int holdOutImages = args.Value("hold-out") is { } h ? PositiveInt(h, "--hold-out") : 1000;
        if (curveImages + holdOutImages > ValidationImages)
            throw new UsageException($"--curve-images and --hold-out take at most {ValidationImages} validation images together, not {curveImages + holdOutImages}");
        if (args.Flag("ship") && args.Value("output") is not null) throw new UsageException("give either -o DIR or --ship, not both");
        bool ship = args.Flag("ship");
        if (ship && (args.Value("epochs") is not null || args.Value("train-images") is not null))
            throw new UsageException("--ship replaces the shipped results, which follow the recipe as it is: drop --epochs and --train-images");
        string resultsDirectory = Path.GetFullPath(ship ? Path.Combine(CoursePaths.DataDirectory, "results")
            : args.Value("output") ?? Path.Combine(CoursePaths.Root, "artifacts", "robust-overfitting"));
        string checkpointDirectory = ship ? CoursePaths.CheckpointDirectory : resultsDirectory;

        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);
        var o = context.Out;
        var clock = Stopwatch.StartNew();
        using var train = FashionMnist.Load(DataSplit.Train);
        if (recipe.Training.TrainSubset > train.Count - ValidationImages)
            throw new UsageException($"--train-images must be at most {train.Count - ValidationImages} (the training images left after the validation split)");
        var (trainPart, validation) = train.SplitValidation(ValidationImages, seed: 0);
        using var _ = trainPart;
        using var __ = validation;
        using var curveSet = validation.Take(curveImages);
        using var holdOut = validation.Select(Enumerable.Range(curveImages, holdOutImages).Select(i => (long)i).ToArray());
        Directory.CreateDirectory(resultsDirectory);
        o.WriteLine($"Device: {device}");
        o.WriteLine($"Recipe: {recipe}");
        o.WriteLine($"Curve: PGD-10 on validation images 0–{curveImages - 1}; best vs last on validation images {curveImages}–{curveImages + holdOutImages - 1}.");

        var rows = new List<Row>();
        for (int seed = 0; seed < seeds; seed++)
        {
            var seeded = recipe with { Training = recipe.Training with { Seed = seed } };
            o.WriteLine();
            o.WriteLine($"Seed {seed}:");
            using var run = TrainOnce(seeded, trainPart, curveSet, device, o);
            o.WriteLine($"  best epoch {run.BestEpoch}; attacking the best and the last weights on {holdOut.Count} other validation images …");
            var comparison = BestVersusLastWeights.Evaluate(run.Best, run.Last, holdOut, seeded.Epsilon, device);
            o.WriteLine($"  APGD-CE: {comparison.Apgd}");
            AtomicFile.WriteAllText(Path.Combine(resultsDirectory, CurveFile(seed)), RobustnessCurve.ToCsv(run.Curve));
            if (seed == 0)
            {
                Checkpoint.Save(run.Best, Path.Combine(checkpointDirectory, ShippedModels.RobustOverfittingBestFile), run.BestInfo);
                Checkpoint.Save(run.Last, Path.Combine(checkpointDirectory, ShippedModels.RobustOverfittingLastFile), run.LastInfo);
            }
            rows.Add(new Row(seed, run.BestEpoch, run.Curve, comparison));
            string table = Path.Combine(resultsDirectory, "robust-overfitting.md");
            AtomicFile.WriteAllText(table, ToMarkdown(seeded, rows, curveImages, ship, clock.Elapsed));
            o.WriteLine($"  saved {table} and {CurveFile(seed)} ({clock.Elapsed.TotalMinutes:F1} min so far)");
        }
        o.WriteLine();
        o.WriteLine(ToMarkdown(recipe, rows, curveImages, ship, clock.Elapsed));
        return Task.FromResult(ExitCodes.Ok);
    }

    /// <summary>
    /// Trains one seed, and once more if TorchSharp's scalar race (<see cref="TorchSharpScalarRace"/>) strikes: a run is
    /// deterministic for its seed, so the second attempt computes what the first would have, and a race need not cost
    /// the other seeds' quarter of an hour.
    /// </summary>
    private static RobustOverfittingRun TrainOnce(RobustTrainingRecipe recipe, ImageDataset train, ImageDataset curve, TorchSharp.torch.Device device, TextWriter o)
    {
        try
        {
            return RobustOverfittingRun.Train(recipe, train, curve, device, new ConsoleTrainingReporter(0, o), o);
        }
        catch (Exception error) when (TorchSharpScalarRace.Matches(error))
        {
            o.WriteLine($"  {error.GetType().Name}: {error.Message.Split('\n')[0]}");
            o.WriteLine($"  {TorchSharpScalarRace.Explanation}");
            o.WriteLine($"  Training seed {recipe.Training.Seed} again from the start.");
            return RobustOverfittingRun.Train(recipe, train, curve, device, new ConsoleTrainingReporter(0, o), o);
        }
    }

    /// <summary>The curve file of <paramref name="seed"/> (next to the table).</summary>
    public static string CurveFile(int seed) => string.Create(CultureInfo.InvariantCulture, $"robust-overfitting-seed{seed}.curve.csv");

    private sealed record Row(int Seed, int BestEpoch, IReadOnlyList<CurvePoint> Curve, BestVersusLastWeights HoldOut);

    private static string ToMarkdown(RobustTrainingRecipe recipe, IReadOnlyList<Row> rows, int curveImages, bool shipped, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        string Rate(double rate) => (rate * 100).ToString("F1", c) + " %";
        string Pair(PairedComparison p) => string.Create(c, $"{Rate(p.RateA)} / {Rate(p.RateB)}");
        string Points(double fraction) => (fraction * 100).ToString("+0.0;−0.0;0.0", c);
        string Difference(PairedComparison p) =>
            $"{Points(p.Difference)} [{Points(p.DifferenceInterval.Lower)}, {Points(p.DifferenceInterval.Upper)}], " +
            $"p {(p.PValue < 0.001 ? "< 0.001" : p.PValue.ToString("0.000", c))}";
        var text = new StringBuilder();
        text.AppendLine("# Robust overfitting: best epoch vs last");
        text.AppendLine();
        text.AppendLine(string.Create(c, $"{recipe with { Training = recipe.Training with { Seed = 0 } }} — seeds 0 to {rows.Count - 1}."));
        text.AppendLine(string.Create(c, $"Validation split: {ValidationImages} training images held out (seed 0). Curve: PGD-10 on its first {curveImages} images after every epoch; " +
                                         $"the best epoch is the first with the highest curve value. Best vs last: the next {rows[0].HoldOut.Count} validation images, which chose nothing; " +
                                         $"paired differences (best − last, points) with Newcombe 95 % intervals and exact McNemar p-values."));
        text.AppendLine();
        text.AppendLine("| seed | best epoch | curve at best / last | robust train acc. at best / last | clean: best / last | PGD-10: best / last | APGD-CE: best / last | APGD-CE difference |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            var best = row.Curve[row.BestEpoch - 1];
            var last = row.Curve[^1];
            text.AppendLine(string.Create(c, $"| {row.Seed} | {row.BestEpoch} of {row.Curve.Count} | {Rate(best.RobustAccuracy)} / {Rate(last.RobustAccuracy)} | " +
                                             $"{Rate(best.TrainAccuracy)} / {Rate(last.TrainAccuracy)} | {Pair(row.HoldOut.Clean)} | {Pair(row.HoldOut.Pgd)} | " +
                                             $"{Pair(row.HoldOut.Apgd)} | {Difference(row.HoldOut.Apgd)} |"));
        }
        text.AppendLine();
        text.AppendLine(string.Create(c, $"Produced by `course robust-overfitting{(shipped ? " --ship" : "")}` in {elapsed.TotalMinutes:F0} min."));
        return text.ToString();
    }
}
