using System.Diagnostics;
using System.Globalization;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.IO;
using ModelSecurity.Models;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Runtime;
using ModelSecurity.Training;

using static ModelSecurity.Cli.CommonOptions;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course train-robust</c>: trains a robust model with one of the shipped recipes (PGD-AT, fast AT, TRADES), saves it
/// with its adversarial settings in the checkpoint's metadata, and prints the robustness protocol's table.
/// </summary>
public sealed class TrainRobustCommand : ICommand
{
    public string Name => "train-robust";

    public string Summary => "adversarially train a model (PGD-AT, fast AT or TRADES) and evaluate it with the robustness protocol";

    public string Help => $"""
        Usage: course train-robust --method pgd-at|fast-at|trades [--epochs N] [--beta B] [--architecture A] [--subset N]
                                   [--save PATH | --ship] [--eval-subset N] [--curve-images N]
                                   [--sanity] [--device D]

        Trains with the recipe of the chosen method (Fashion-MNIST, L∞ ε = 0.1), saves the checkpoint, then evaluates it
        on test images with the robustness protocol: clean, FGSM, PGD-20×5 and APGD-CE-100 at ε = 0.1.

          pgd-at   PGD adversarial training, Kolter–Madry CNN, PGD-10 (α 0.025), 6 epochs   → {ShippedModels.PgdAtFile}
          fast-at  FGSM with random start (α 1.25·ε), Kolter–Madry CNN, 10 epochs, early stopping
                   on a PGD check                                                          → {ShippedModels.FastAtFile}
          trades   TRADES, Kolter–Madry CNN, β = 6, 10 KL steps (α 0.025), 6 epochs                → {ShippedModels.TradesFile}

        An epoch costs about 10 standard epochs with pgd-at and trades (the adversarial-training benchmark) and about 2
        with fast-at: on two otherwise idle CPU cores roughly 35–45 minutes each for pgd-at and trades (6 epochs). The checkpoint is saved
        as soon as training ends, and again with the protocol's results.

        Options:
          --method M        pgd-at, fast-at or trades (required)
          --epochs N        override the recipe's number of epochs
          --beta B          TRADES's β (trades only; default 6)
          --architecture A  override the recipe's network ({string.Join(", ", ModelZoo.Architectures)}); with
                            --ship the checkpoint keeps the method's shipped file name
          --subset N        train on N random training images (quick trials; such a model is never shipped;
                            fast-at's early-stopping check then attacks at most N images)
          --save PATH       where to save the checkpoint (default: artifacts/<shipped file name>)
          --ship            save to data/checkpoints/<shipped file name>, replacing the shipped model
          --eval-subset N   test images the protocol attacks (default 1000; 0 or 'all' for all 10 000)
          --curve-images N  after every epoch, measure clean and PGD-10 accuracy on the first N test images
                            (default 500; 0 for none) and write them to <checkpoint>.curve.csv
          --sanity          also run the gradient-masking checks (the shipped baseline is the transfer surrogate)
          --device D        cpu, cuda or cuda:N (default: COURSE_DEVICE, else CUDA when available, else CPU)

        Exit codes: 0 done, 2 bad usage or a missing/corrupt data file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("method", true), new("epochs", true), new("beta", true), new("architecture", true), new("subset", true), new("save", true), new("ship", false),
        new("eval-subset", true), new("curve-images", true), new("sanity", false), new("device", true),
    ];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        string method = args.Value("method") ?? throw new UsageException($"--method is required: {string.Join(", ", RobustTrainingRecipe.Methods)}");
        if (!RobustTrainingRecipe.Methods.Contains(method))
            throw new UsageException($"--method must be one of {string.Join(", ", RobustTrainingRecipe.Methods)}, not '{method}'");
        var recipe = Recipes.Robust(method);
        if (args.Value("epochs") is { } epochs)
            recipe = recipe with { Training = recipe.Training with { Epochs = PositiveInt(epochs, "--epochs") } };
        if (args.Value("beta") is { } beta)
        {
            if (method != "trades") throw new UsageException("--beta is TRADES's β and goes with --method trades");
            recipe = recipe with { Beta = double.TryParse(beta, NumberStyles.Float, CultureInfo.InvariantCulture, out double b) && b >= 0 && double.IsFinite(b)
                ? b : throw new UsageException($"--beta takes a number ≥ 0, not '{beta}'") };
        }
        if (args.Value("architecture") is { } architecture)
        {
            string known = ModelZoo.Canonical(architecture);
            if (!ModelZoo.Architectures.Contains(known))
                throw new UsageException($"--architecture must be one of {string.Join(", ", ModelZoo.Architectures)}, not '{architecture}'");
            recipe = recipe with { Training = recipe.Training with { Architecture = known } };
        }
        if (args.Value("subset") is { } subset)
        {
            int images = PositiveInt(subset, "--subset");
            recipe = recipe with
            {
                Training = recipe.Training with { TrainSubset = images },
                EarlyStoppingImages = Math.Min(recipe.EarlyStoppingImages, images),
            };
        }
        if (args.Flag("ship") && args.Value("save") is not null) throw new UsageException("give either --save PATH or --ship, not both");
        if (args.Flag("ship") && recipe.Training.TrainSubset is not null)
            throw new UsageException("--ship replaces a shipped model, which must be trained on the whole training set: drop --subset");
        int? evalSubset = args.Value("eval-subset") is { } e
            ? e is "all" or "0" ? null : PositiveInt(e, "--eval-subset")
            : 1000;

        int curveImages = args.Value("curve-images") is { } c
            ? c == "0" ? 0 : PositiveInt(c, "--curve-images")
            : 500;

        string fileName = recipe.CheckpointFile ?? $"{method}-{recipe.Training.Architecture}.ckpt";
        string savePath = CommonOptions.CheckpointPath(args, fileName);

        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);
        var output = context.Out;
        var clock = Stopwatch.StartNew();
        output.WriteLine($"Device: {device}");
        output.WriteLine($"Training {recipe}");

        using var test = Datasets.Load(recipe.Training.Dataset, DataSplit.Test);
        using var curveData = curveImages > 0 ? test.Take(Math.Min(curveImages, test.Count)) : null;
        RobustnessCurve? curve = null;
        var trained = TorchSharpScalarRace.RunOnceMore(() =>
        {
            curve?.Dispose();   // each attempt records its own curve
            curve = curveData is null ? null : new RobustnessCurve(curveData, recipe.Epsilon, log: output);
            return RobustTraining.Run(recipe, device, new ConsoleTrainingReporter(0, output), output, curve);
        }, output, "Training again from the start (the recipe's seed makes it the same run).");
        using var recordedCurve = curve;
        var model = trained.Model;
        Checkpoint.Save(model, savePath, trained.Info);
        output.WriteLine($"Saved {savePath}");
        if (curve is not null)
        {
            string curvePath = RobustnessCurve.FileFor(savePath);
            AtomicFile.WriteAllText(curvePath, curve.ToCsv());
            output.WriteLine($"Saved the learning curves ({curve.AttackName} on {curve.Count} test images) to {curvePath}");
        }
        output.WriteLine($"Clean test accuracy: {trained.Test.Accuracy:P2} on {trained.Test.Count} images");

        using var data = evalSubset is { } n && n < test.Count ? test.Subset(n, 0) : test.Take(test.Count);
        output.WriteLine();
        output.WriteLine($"Robustness protocol on {data.Count} test images (L∞ ε = {recipe.Epsilon.ToString(CultureInfo.InvariantCulture)}):");
        var protocol = new RobustnessProtocol(recipe.Epsilon);
        var table = protocol.Evaluate(model, data, device, output);
        output.WriteLine();
        output.WriteLine(table.ToMarkdown());

        var extra = new Dictionary<string, string>(trained.Info.Extra ?? new Dictionary<string, string>());
        foreach (var (key, value) in table.ToExtra()) extra[key] = value;
        if (args.Flag("sanity"))
        {
            string baseline = ShippedModels.PathOf(ShippedModels.BaselineFile);
            using var surrogate = File.Exists(baseline) ? Checkpoint.Load(baseline, device) : null;
            if (surrogate is null) output.WriteLine($"(no {ShippedModels.BaselineFile}: the transfer check is skipped)");
            output.WriteLine();
            output.WriteLine("Gradient-masking checks:");
            var sanity = protocol.CheckGradientMasking(model, data, surrogate, device, output);
            output.WriteLine(sanity.ToString());
            extra["sanityChecks"] = sanity.AllPassed ? "passed" : "failed: " + string.Join(", ", sanity.Failures.Select(f => f.Check));
        }
        Checkpoint.Save(model, savePath, trained.Info with { Extra = extra });
        output.WriteLine();
        output.WriteLine($"Summary: {method} {recipe.Training.Architecture}, clean {table.CleanAccuracy:P2}, robust {table.RobustAccuracy:P2} {table.RobustInterval} " +
                         $"(per-point worst case over the protocol's attacks) on {data.Count} test images; saved {savePath}; {clock.Elapsed.TotalMinutes:F1} min in all.");
        model.Dispose();
        return Task.FromResult(ExitCodes.Ok);
    }
}
