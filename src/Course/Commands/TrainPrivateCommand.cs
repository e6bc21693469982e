using System.Diagnostics;
using System.Globalization;
using ModelSecurity.Models;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Privacy;
using ModelSecurity.Runtime;
using ModelSecurity.Training;

using static ModelSecurity.Cli.CommonOptions;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course train-private</c>: trains a model with DP-SGD at a target (ε, δ) — σ calibrated by the accountant for
/// the whole run — and saves it with its privacy settings and the ε actually spent in the checkpoint's metadata.
/// </summary>
public sealed class TrainPrivateCommand : ICommand
{
    public string Name => "train-private";

    public string Summary => "train a differentially private model with DP-SGD at a target (ε, δ) and save it with its ε";

    public string Help => """
        Usage: course train-private --epsilon E [--delta D] [--epochs N] [--batch-size B] [--lr LR] [--clip C]
                                    [--accountant rdp|pld] [--subset N] [--save PATH | --ship] [--device D]

        Trains the tanh CNN of chapter 5 on Fashion-MNIST with DP-SGD (Recipes.Private: Poisson sampling with expected
        batch 512, C = 1, SGD with momentum 0.9, lr 0.5, cosine schedule, 20 epochs). The noise multiplier σ is the smallest
        for which the accountant certifies ε ≤ E at δ for all the run's steps; the checkpoint records σ, C, q, the steps
        and the ε spent. One epoch takes about 1–2 minutes on two CPU cores.

        Options:
          --epsilon E       target ε > 0 (required; the shipped models: 1, 3 and 8)
          --delta D         δ in (0, 1) (default 1e-5, below 1/N)
          --epochs N        epochs (default 20); more epochs at the same ε means more noise per step
          --batch-size B    expected logical batch size (default 512); q = B / N
          --lr LR           peak learning rate (default 0.5)
          --clip C          per-example clipping norm C (default 1)
          --accountant A    rdp (default) or pld
          --subset N        train on N random training images (quick trials; never shipped; ε then covers those N)
          --save PATH       where to save the checkpoint (default: artifacts/<shipped file name>)
          --ship            save to data/checkpoints/<shipped file name>, replacing the shipped model
          --device D        cpu, cuda or cuda:N (default: COURSE_DEVICE, else CUDA when available, else CPU)

        Exit codes: 0 done, 2 bad usage or a missing/corrupt data file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("epsilon", true), new("delta", true), new("epochs", true), new("batch-size", true), new("lr", true), new("clip", true),
        new("accountant", true), new("subset", true), new("save", true), new("ship", false), new("device", true),
    ];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        double epsilon = PositiveNumber(args.Value("epsilon") ?? throw new UsageException("--epsilon is required, e.g. --epsilon 3"), "--epsilon");
        var recipe = Recipes.Private(epsilon);
        var training = recipe.Training;
        if (args.Value("epochs") is { } epochs) training = training with { Epochs = PositiveInt(epochs, "--epochs") };
        if (args.Value("batch-size") is { } batch) training = training with { BatchSize = PositiveInt(batch, "--batch-size") };
        if (args.Value("lr") is { } lr) training = training with { LearningRate = PositiveNumber(lr, "--lr") };
        if (args.Value("subset") is { } subset) training = training with { TrainSubset = PositiveInt(subset, "--subset") };
        recipe = recipe with { Training = training };
        if (args.Value("delta") is { } delta)
        {
            double d = PositiveNumber(delta, "--delta");
            if (d >= 1) throw new UsageException($"--delta must be below 1, not '{delta}'");
            recipe = recipe with { Delta = d };
        }
        if (args.Value("clip") is { } clip) recipe = recipe with { MaxGradNorm = PositiveNumber(clip, "--clip") };
        if (args.Value("accountant") is { } accountant)
            recipe = PrivateTrainingRecipe.Accountants.Contains(accountant) ? recipe with { Accountant = accountant }
                : throw new UsageException($"--accountant must be one of {string.Join(", ", PrivateTrainingRecipe.Accountants)}, not '{accountant}'");
        if (args.Flag("ship") && args.Value("save") is not null) throw new UsageException("give either --save PATH or --ship, not both");
        if (args.Flag("ship") && training.TrainSubset is not null)
            throw new UsageException("--ship replaces a shipped model, which must be trained on the whole training set: drop --subset");
        if (training.TrainSubset is { } images && images < training.BatchSize)
            throw new UsageException($"--subset {images} is smaller than the expected batch size {training.BatchSize}; lower --batch-size (q = B/N must be at most 1)");
        try { recipe.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }

        string fileName = recipe.CheckpointFile ?? ShippedModels.PrivateFile(epsilon);
        string savePath = CommonOptions.CheckpointPath(args, fileName);

        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);
        var output = context.Out;
        var clock = Stopwatch.StartNew();
        output.WriteLine($"Device: {device}");
        output.WriteLine($"Training {recipe}");

        var result = TorchSharpScalarRace.RunOnceMore(() => PrivateModelTraining.Run(recipe, device, new ConsoleTrainingReporter(0, output), output),
                                                      output, "Training again from the start; only the model that finishes is saved.");
        using var model = result.Trained.Model;
        Checkpoint.Save(model, savePath, result.Trained.Info);
        output.WriteLine($"Saved {savePath}");
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c,
            $"Summary: {training.Architecture} with DP-SGD, σ = {result.NoiseMultiplier:F3}, C = {recipe.MaxGradNorm:G4}, q = {result.SampleRate:G4}, " +
            $"{result.Steps} steps → (ε = {result.Spent.Epsilon:F3}, δ = {result.Spent.Delta:G3}); clean test accuracy {result.Trained.Test.Accuracy:P2}; " +
            $"{clock.Elapsed.TotalMinutes:F1} min in all."));
        return Task.FromResult(ExitCodes.Ok);
    }
}
