using ModelSecurity.Data;
using ModelSecurity.Models;
using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>The outcome of <see cref="RecipeRunner.Run"/>.</summary>
/// <param name="Model">The trained model (eval mode).</param>
/// <param name="History">Per-epoch training record.</param>
/// <param name="Test">Clean evaluation on the test split.</param>
/// <param name="Info">Checkpoint metadata describing the model.</param>
public sealed record TrainedModel(nn.Module<Tensor, Tensor> Model, TrainingHistory History, EvaluationResult Test, CheckpointInfo Info);

/// <summary>
/// Runs a <see cref="TrainingRecipe"/> end to end: seeds, builds the architecture, trains on the recipe's
/// dataset, evaluates on its test split and describes the result as checkpoint metadata. The shipped
/// checkpoints are made this way, and <c>course baseline --retrain</c> repeats it.
/// </summary>
public static class RecipeRunner
{
    /// <summary>Trains a new model following <paramref name="recipe"/>.</summary>
    /// <param name="recipe">What to train.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="objective">Training objective (default: cross-entropy).</param>
    /// <param name="reporter">Progress (default: console).</param>
    /// <param name="extra">Extra metadata for the checkpoint (ε, attack steps, β, privacy ε …).</param>
    /// <param name="stopAfterEpoch">
    /// Builds the trainer's per-epoch check (<see cref="Trainer.StopAfterEpoch"/>) from the training data, e.g. early
    /// stopping on a PGD check of a few training images; null for none.
    /// </param>
    public static TrainedModel Run(TrainingRecipe recipe, Device device, ITrainingObjective? objective = null,
                                   ITrainingReporter? reporter = null, IReadOnlyDictionary<string, string>? extra = null,
                                   Func<ImageDataset, Func<nn.Module<Tensor, Tensor>, EpochRecord, bool>>? stopAfterEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.Validate();
        using var train = Datasets.Load(recipe.Dataset, DataSplit.Train);
        using var test = Datasets.Load(recipe.Dataset, DataSplit.Test);
        Reproducibility.Seed(recipe.Seed);
        var model = ModelZoo.Create(recipe.Architecture, train.NumClasses);
        var trainer = new Trainer(reporter) { StopAfterEpoch = stopAfterEpoch?.Invoke(train) };
        var history = trainer.Fit(model, train, recipe, device, objective: objective);
        var evaluation = Evaluator.Evaluate(model, test, device);
        return new TrainedModel(model, history, evaluation, Describe(recipe, train.NumClasses, evaluation, history, extra));
    }

    /// <summary>
    /// Checkpoint metadata of a model trained with <paramref name="recipe"/>: architecture, data, seed, clean test
    /// accuracy, the recipe, <paramref name="extra"/> plus the training facts, and a one-line description.
    /// </summary>
    internal static CheckpointInfo Describe(TrainingRecipe recipe, int numClasses, EvaluationResult test, TrainingHistory history,
                                            IReadOnlyDictionary<string, string>? extra, string? description = null) => new()
    {
        Architecture = recipe.Architecture,
        Dataset = recipe.Dataset,
        NumClasses = numClasses,
        Seed = recipe.Seed,
        TestAccuracy = test.Accuracy,
        Recipe = recipe.ToJson(),
        Extra = WithTrainingFacts(extra, history),
        Description = description ?? $"{recipe.Name}: {recipe.Architecture} trained on {recipe.Dataset} with {history.Objective}",
    };

    /// <summary>The extra metadata plus what every trained checkpoint records: objective, training seconds, epochs run.</summary>
    internal static Dictionary<string, string> WithTrainingFacts(IReadOnlyDictionary<string, string>? extra, TrainingHistory history)
    {
        var all = extra?.ToDictionary(p => p.Key, p => p.Value) ?? new Dictionary<string, string>();
        all["objective"] = history.Objective;
        all["trainingSeconds"] = history.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        all["epochsRun"] = history.Epochs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return all;
    }
}
