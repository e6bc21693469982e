using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
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

    private const int ValidationImages = RobustOverfittingRun.ValidationImages;

    public string Name => "robust-overfitting";

    public string Summary => "robust overfitting (Rice et al. 2020): learning curves over a step schedule, best epoch vs last, several seeds";

    public string Help => $"""
        Usage: course robust-overfitting [--seeds N | --seed S] [--epochs N] [--train-images N] [--curve-images N] [--hold-out N]
                                         [-o DIR | --ship] [--device D]

        Holds {ValidationImages} of the Fashion-MNIST training images out as a validation split (seed 0, as chapter 03 does),
        then for every seed trains the recipe below on a random subset of the rest: {Recipes.RobustOverfitting}.
        After every epoch it measures PGD-10 accuracy on the first validation images (the curve) and keeps the weights
        of the best epoch. Both the best and the last weights are then attacked on the next validation images, which
        played no part in choosing the epoch (clean, PGD-10, APGD-CE-100; paired tests).

        Writes, per seed, robust-overfitting-seed<S>.curve.csv and robust-overfitting-seed<S>.json (every hold-out image's
        outcome), the best and last weights of seed 0 as checkpoints, and robust-overfitting.md, the table rebuilt from
        all the seed files of this recipe in the folder. Each seed is written as soon as it is done, so an interrupted
        run keeps the seeds it finished, and seeds run in parallel processes (--seed S) end up in one table. At the
        defaults a seed takes about 20 minutes of one CPU core.

        Options:
          --seeds N         seeds 0 … N−1 (default 3); a seed picks the training subset, initial weights and batches
          --seed S          only seed S (e.g. one process per core)
          --epochs N        override the recipe's epochs (the learning rate still drops at half and three quarters)
          --train-images N  override the recipe's training subset ({Recipes.RobustOverfitting.Training.TrainSubset} images)
          --curve-images N  validation images of the curve (default {RobustOverfittingRun.DefaultCurveImages})
          --hold-out N      further validation images for best vs last (default {RobustOverfittingRun.DefaultHoldOutImages})
          -o DIR            write everything to DIR (default artifacts/robust-overfitting)
          --ship            write the table and curves to data/results/ and seed 0's checkpoints to data/checkpoints/
                            ({ShippedModels.RobustOverfittingBestFile}, {ShippedModels.RobustOverfittingLastFile})
          --device D        cpu, cuda or cuda:N (default: COURSE_DEVICE, else CUDA when available, else CPU)

        Exit codes: 0 done, 2 bad usage or a missing/corrupt data file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("seeds", true), new("seed", true), new("epochs", true), new("train-images", true), new("curve-images", true), new("hold-out", true),
        new("output", true, "o"), new("ship", false), new("device", true),
    ];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        if (args.Value("seeds") is not null && args.Value("seed") is not null) throw new UsageException("give either --seeds N or --seed S, not both");
        int[] seeds = args.Value("seed") is { } one
            ? [int.TryParse(one, NumberStyles.None, CultureInfo.InvariantCulture, out int only) ? only : throw new UsageException($"--seed takes a whole number ≥ 0, not '{one}'")]
            : [.. Enumerable.Range(0, args.Value("seeds") is { } s ? PositiveInt(s, "--seeds") : 3)];
        var recipe = Recipes.RobustOverfitting;
        if (args.Value("epochs") is { } e) recipe = recipe with { Training = recipe.Training with { Epochs = PositiveInt(e, "--epochs") } };
        if (args.Value("train-images") is { } t) recipe = recipe with { Training = recipe.Training with { TrainSubset = PositiveInt(t, "--train-images") } };
        int curveImages = args.Value("curve-images") is { } c ? PositiveInt(c, "--curve-images") : RobustOverfittingRun.DefaultCurveImages;
        int holdOutImages = args.Value("hold-out") is { } h ? PositiveInt(h, "--hold-out") : RobustOverfittingRun.DefaultHoldOutImages;
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

        foreach (int seed in seeds)
        {
            var seeded = recipe with { Training = recipe.Training with { Seed = seed } };
            o.WriteLine();
            o.WriteLine($"Seed {seed}:");
            using var run = TrainOnce(seeded, trainPart, curveSet, device, o);
            o.WriteLine($"  best epoch {run.BestEpoch}; attacking the best and the last weights on {holdOut.Count} other validation images …");
            var comparison = BestVersusLastWeights.Evaluate(run.Best, run.Last, holdOut, seeded.Epsilon, device);
            o.WriteLine($"  APGD-CE: {comparison.Apgd}");
            AtomicFile.WriteAllText(Path.Combine(resultsDirectory, CurveFile(seed)), RobustnessCurve.ToCsv(run.Curve));
            AtomicFile.WriteAllText(Path.Combine(resultsDirectory, ResultFile(seed)),
                                    JsonSerializer.Serialize(SeedResult.Of(seeded, run.BestEpoch, curveImages, comparison), JsonOptions));
            if (seed == 0)
            {
                Checkpoint.Save(run.Best, Path.Combine(checkpointDirectory, ShippedModels.RobustOverfittingBestFile), run.BestInfo);
                Checkpoint.Save(run.Last, Path.Combine(checkpointDirectory, ShippedModels.RobustOverfittingLastFile), run.LastInfo);
            }
            string table = WriteTable(resultsDirectory, recipe, ship, o);
            o.WriteLine($"  saved {CurveFile(seed)}, {ResultFile(seed)} and {table} ({clock.Elapsed.TotalMinutes:F1} min so far)");
        }
        o.WriteLine();
        o.WriteLine(File.ReadAllText(Path.Combine(resultsDirectory, TableFile)));
        return Task.FromResult(ExitCodes.Ok);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The table's file name (in the results folder).</summary>
    public const string TableFile = "robust-overfitting.md";

    /// <summary>The per-image results of <paramref name="seed"/> (next to the table).</summary>
    public static string ResultFile(int seed) => string.Create(CultureInfo.InvariantCulture, $"robust-overfitting-seed{seed}.json");

    /// <summary>
    /// What one seed leaves besides its curve: the recipe it followed, its best epoch, and every hold-out image's outcome
    /// (as strings of 0 and 1), so that the table can be rebuilt from the seeds' files — seeds run by separate
    /// processes (<c>--seed S</c>) end up in one table.
    /// </summary>
    private sealed record SeedResult(string Recipe, int Seed, int BestEpoch, int CurveImages, double Epsilon,
                                     string CleanBest, string CleanLast, string PgdBest, string PgdLast, string ApgdBest, string ApgdLast)
    {
        public static SeedResult Of(RobustTrainingRecipe recipe, int bestEpoch, int curveImages, BestVersusLastWeights c) =>
            new(recipe.ToString(), recipe.Training.Seed, bestEpoch, curveImages, c.Epsilon,
                Bits(c.CleanBest), Bits(c.CleanLast), Bits(c.PgdBest), Bits(c.PgdLast), Bits(c.ApgdBest), Bits(c.ApgdLast));

        public BestVersusLastWeights Comparison => new(Epsilon, Outcomes(CleanBest), Outcomes(CleanLast), Outcomes(PgdBest),
                                                       Outcomes(PgdLast), Outcomes(ApgdBest), Outcomes(ApgdLast));

        private static string Bits(bool[] outcomes) => new([.. outcomes.Select(o => o ? '1' : '0')]);

        private static bool[] Outcomes(string bits) => [.. bits.Select(b => b == '1')];
    }

    /// <summary>
    /// Rebuilds the table from every seed's files in <paramref name="folder"/> that followed <paramref name="recipe"/>
    /// (seed aside); files of another recipe are named below the table, not mixed in.
    /// </summary>
    private static string WriteTable(string folder, RobustTrainingRecipe recipe, bool shipped, TextWriter o)
    {
        var rows = new List<Row>();
        var other = new List<string>();
        foreach (string file in Directory.GetFiles(folder, "robust-overfitting-seed*.json").Order(StringComparer.Ordinal))
        {
            SeedResult? result;
            try
            {
                result = JsonSerializer.Deserialize<SeedResult>(File.ReadAllText(file));
            }
            catch (JsonException error)
            {
                throw new InvalidDataException($"{file} is not a seed result ({error.Message}): delete it and run that seed again with --seed.", error);
            }
            if (result is null) throw new InvalidDataException($"{file} holds no seed result: delete it and run that seed again with --seed.");
            string curveFile = Path.Combine(folder, CurveFile(result.Seed));
            if (result.Recipe != (recipe with { Training = recipe.Training with { Seed = result.Seed } }).ToString() || !File.Exists(curveFile))
            {
                other.Add(Path.GetFileName(file));
                continue;
            }
            rows.Add(new Row(result.Seed, result.BestEpoch, result.CurveImages, RobustnessCurve.LoadCsv(curveFile), result.Comparison));
        }
        if (other.Count > 0) o.WriteLine($"  not in the table (another recipe, or no curve file): {string.Join(", ", other)}");
        string path = Path.Combine(folder, TableFile);
        AtomicFile.WriteAllText(path, ToMarkdown(recipe, [.. rows.OrderBy(r => r.Seed)], shipped, other));
        return path;
    }

    /// <summary>
    /// Trains one seed, and once more if TorchSharp's scalar race (<see cref="TorchSharpScalarRace"/>) strikes: a run is
    /// deterministic for its seed, so the second attempt computes what the first would have, and a race need not cost
    /// the other seeds' quarter of an hour.
    /// </summary>
    private static RobustOverfittingRun TrainOnce(RobustTrainingRecipe recipe, ImageDataset train, ImageDataset curve, TorchSharp.torch.Device device, TextWriter o) =>
        TorchSharpScalarRace.RunOnceMore(() => RobustOverfittingRun.Train(recipe, train, curve, device, new ConsoleTrainingReporter(0, o), o),
                                         o, $"Training seed {recipe.Training.Seed} again from the start.");

    /// <summary>The curve file of <paramref name="seed"/> (next to the table).</summary>
    public static string CurveFile(int seed) => string.Create(CultureInfo.InvariantCulture, $"robust-overfitting-seed{seed}.curve.csv");

    private sealed record Row(int Seed, int BestEpoch, int CurveImages, IReadOnlyList<CurvePoint> Curve, BestVersusLastWeights HoldOut);

    private static string ToMarkdown(RobustTrainingRecipe recipe, IReadOnlyList<Row> rows, bool shipped, IReadOnlyList<string> leftOut)
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
        text.AppendLine(string.Create(c, $"{recipe with { Training = recipe.Training with { Seed = 0 } }} — seeds {string.Join(", ", rows.Select(r => r.Seed))}."));
        text.AppendLine(string.Create(c, $"Validation split: {ValidationImages} training images held out (seed 0). Curve: PGD-10 on its first {(rows.Count > 0 ? rows[0].CurveImages : 0)} images after every epoch; " +
                                         $"the best epoch is the first with the highest curve value. Best vs last: the next {(rows.Count > 0 ? rows[0].HoldOut.Count : 0)} validation images, which chose nothing; " +
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
        if (leftOut.Count > 0) text.AppendLine($"Left out (another recipe, or no curve file): {string.Join(", ", leftOut)}.").AppendLine();
        text.AppendLine($"Produced by `course robust-overfitting{(shipped ? " --ship" : "")}` (one run, or one per seed with `--seed S`); a seed takes about 20 minutes of one CPU core.");
        return text.ToString();
    }
}
