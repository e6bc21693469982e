using System.Diagnostics;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Runtime;
using ModelSecurity.Training;

namespace ModelSecurity.Cli.Commands;

/// <summary><c>course baseline</c>: evaluates (and optionally retrains) the shipped baseline CNN.</summary>
public sealed class BaselineCommand : ICommand
{
    public string Name => "baseline";

    public string Summary => "evaluate the shipped baseline CNN on Fashion-MNIST (optionally retrain it first)";

    public string Help => $"""
        Usage: course baseline [--retrain] [--save PATH] [--epochs N] [--device cpu|cuda]

        Loads the shipped baseline (data/checkpoints/{ShippedModels.BaselineFile}: the Kolter–Madry CNN trained
        on Fashion-MNIST), evaluates it on the 10 000 test images and prints overall and per-class accuracy.

        Options:
          --retrain        train the baseline again with its shipped recipe first (8 epochs; about 4 minutes
                           on two CPU cores), then evaluate the new model
          --save PATH      where --retrain saves its checkpoint (default: artifacts/baseline-retrained.ckpt;
                           the shipped file is only replaced if you name it here)
          --epochs N       override the recipe's number of epochs (with --retrain)
          --device D       cpu, cuda or cuda:N (default: COURSE_DEVICE, else CUDA when available, else CPU)

        Exit codes: 0 done, 2 bad usage or a missing/corrupt data or checkpoint file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
        [new("retrain", false), new("save", true), new("epochs", true), new("device", true)];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        if (!args.Flag("retrain") && (args.Value("save") != null || args.Value("epochs") != null))
            throw new UsageException("--save and --epochs go with --retrain");
        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);
        var output = context.Out;
        var clock = Stopwatch.StartNew();
        output.WriteLine($"Device: {device}");

        TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model;
        CheckpointInfo info;
        string source;
        if (args.Flag("retrain"))
        {
            var recipe = Recipes.Baseline;
            if (args.Value("epochs") is { } epochs)
                recipe = recipe with { Epochs = int.TryParse(epochs, out int e) && e > 0 ? e : throw new UsageException($"--epochs takes a positive whole number, not '{epochs}'") };
            output.WriteLine($"Retraining the baseline: {recipe.Architecture}, {recipe.Epochs} epochs, batch {recipe.BatchSize}, {recipe.Optimizer} lr {recipe.LearningRate}, {recipe.Schedule} schedule, seed {recipe.Seed}");
            var trained = RecipeRunner.Run(recipe, device);
            model = trained.Model;
            info = trained.Info;
            source = Path.GetFullPath(args.Value("save") ?? Path.Combine(CoursePaths.Root, "artifacts", "baseline-retrained.ckpt"));
            Checkpoint.Save(model, source, info);
            output.WriteLine($"Saved {source}");
        }
        else
        {
            source = ShippedModels.PathOf(ShippedModels.BaselineFile);
            (model, info) = Checkpoint.LoadWithInfo(source, device);
            output.WriteLine($"Loaded {source}");
        }

        output.WriteLine($"  {info.Description ?? info.Architecture}; {ModelZoo.ParameterCount(model):N0} parameters; {info.LibraryVersion}");
        if (info.TestAccuracy is { } recorded) output.WriteLine($"  test accuracy recorded in the checkpoint: {recorded:P2}");

        using var test = FashionMnist.Load(DataSplit.Test);
        var result = Evaluator.Evaluate(model, test, device);
        output.WriteLine();
        output.WriteLine($"{"class",-12} {"accuracy",9}");
        foreach (var c in result.PerClass) output.WriteLine($"{c.Name,-12} {c.Accuracy,9:P1}");
        output.WriteLine();
        output.WriteLine($"Summary: {info.Architecture} on the Fashion-MNIST test set: accuracy {result.Accuracy:P2} " +
                         $"({result.Count} images, loss {result.Loss:F4}); weakest class {result.PerClass.MinBy(c => c.Accuracy)!.Name}; " +
                         $"{clock.Elapsed.TotalSeconds:F0} s in all.");
        model.Dispose();
        return Task.FromResult(ExitCodes.Ok);
    }
}
