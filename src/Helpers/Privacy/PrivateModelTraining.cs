using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>The outcome of <see cref="PrivateModelTraining"/>'s runs: the trained model and the privacy it spent.</summary>
/// <param name="Trained">Model (eval mode), history, clean test evaluation and checkpoint metadata.</param>
/// <param name="NoiseMultiplier">σ used in every step.</param>
/// <param name="SampleRate">q = B / N.</param>
/// <param name="Steps">DP-SGD steps taken.</param>
/// <param name="Spent">The (ε, δ) the accountant gives for the steps actually taken.</param>
public sealed record PrivateTrainedModel(TrainedModel Trained, double NoiseMultiplier, double SampleRate, int Steps, PrivacyBudget Spent);

/// <summary>
/// Runs a <see cref="PrivateTrainingRecipe"/> end to end (the private counterpart of <see cref="RecipeRunner"/>):
/// calibrates σ for the target ε, trains with DP-SGD (<see cref="DpTrainer.FitPrivately"/>), accounts the steps
/// actually taken, evaluates on the clean test split, and writes the privacy settings and the spent ε into the
/// checkpoint's metadata.
/// </summary>
public static class PrivateModelTraining
{
    /// <summary>Trains a new model following <paramref name="recipe"/> on its dataset's training split (or the recipe's subset of it).</summary>
    /// <param name="recipe">What to train, and at which (ε, δ).</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="reporter">Training progress (default: console).</param>
    /// <param name="log">Where the calibration and accounting lines go (null: nowhere).</param>
    /// <param name="afterEpoch">Called after every epoch (e.g. to record a learning curve); not private, do not tune on it.</param>
    public static PrivateTrainedModel Run(PrivateTrainingRecipe recipe, Device device, ITrainingReporter? reporter = null,
                                          TextWriter? log = null, Func<nn.Module<Tensor, Tensor>, EpochRecord, bool>? afterEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.Validate();
        var training = recipe.Training;
        using var train = Datasets.Load(training.Dataset, DataSplit.Train);
        using var test = Datasets.Load(training.Dataset, DataSplit.Test);
        using var subset = training.TrainSubset is { } n && n < train.Count ? train.Subset(n, training.Seed) : null;
        return Run(recipe, subset ?? train, test, device, reporter, log, afterEpoch);
    }

    /// <summary>
    /// Trains a new model following <paramref name="recipe"/> on exactly <paramref name="privateData"/> (the recipe's
    /// dataset name and subset size are ignored): the guarantee covers those examples.
    /// </summary>
    /// <param name="recipe">What to train, and at which (ε, δ).</param>
    /// <param name="privateData">The training examples to protect; at least the recipe's expected batch size.</param>
    /// <param name="test">Evaluated once at the end (clean accuracy in the result and the metadata).</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="reporter">Training progress (default: console).</param>
    /// <param name="log">Where the calibration and accounting lines go (null: nowhere).</param>
    /// <param name="afterEpoch">Called after every epoch; not private, do not tune on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">The expected batch size exceeds the data.</exception>
    public static PrivateTrainedModel Run(PrivateTrainingRecipe recipe, ImageDataset privateData, ImageDataset test, Device device,
                                          ITrainingReporter? reporter = null, TextWriter? log = null,
                                          Func<nn.Module<Tensor, Tensor>, EpochRecord, bool>? afterEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(privateData);
        ArgumentNullException.ThrowIfNull(test);
        recipe.Validate();
        var training = recipe.Training;
        var data = privateData;
        // The guarantee is about the data DP-SGD samples from; FitPrivately must not subsample again.
        var privateRecipe = training with { TrainSubset = null };

        double sampleRate = recipe.SampleRate(data.Count);
        int plannedSteps = recipe.Steps(data.Count);
        double sigma = recipe.CalibrateNoise(data.Count);
        var c = CultureInfo.InvariantCulture;
        log?.WriteLine(string.Create(c,
            $"Calibrated noise multiplier σ = {sigma:F4} for ε ≤ {recipe.TargetEpsilon:G4} at δ = {recipe.Delta:G3} ({recipe.Accountant}): " +
            $"q = {sampleRate:G4} ({training.BatchSize} of {data.Count}), {plannedSteps} steps."));

        var accountant = recipe.CreateAccountant();
        var engine = new PrivacyEngine(accountant.Step);
        Reproducibility.Seed(training.Seed);
        var model = ModelZoo.Create(training.Architecture, data.NumClasses);
        var trainer = new Trainer(reporter) { StopAfterEpoch = afterEpoch };
        var history = trainer.FitPrivately(model, data, privateRecipe, recipe.Options(sigma), device, engine);
        var spent = new PrivacyBudget(accountant.GetEpsilon(recipe.Delta), recipe.Delta);
        log?.WriteLine(string.Create(c, $"Privacy spent after {engine.Steps} steps: ε = {spent.Epsilon:F3} at δ = {spent.Delta:G3} ({recipe.Accountant})."));

        var evaluation = Evaluator.Evaluate(model, test, device);
        var extra = new Dictionary<string, string>
        {
            ["method"] = "dp-sgd",
            ["epsilon"] = spent.Epsilon.ToString("R", c),
            ["targetEpsilon"] = recipe.TargetEpsilon.ToString("R", c),
            ["delta"] = recipe.Delta.ToString("R", c),
            ["noiseMultiplier"] = sigma.ToString("R", c),
            ["maxGradNorm"] = recipe.MaxGradNorm.ToString("R", c),
            ["sampleRate"] = sampleRate.ToString("R", c),
            ["steps"] = engine.Steps.ToString(c),
            ["accountant"] = recipe.Accountant,
            ["sampling"] = "poisson",
            ["privateExamples"] = data.Count.ToString(c),
        };
        var info = RecipeRunner.Describe(training, data.NumClasses, evaluation, history, extra, string.Create(c,
            $"{training.Name}: {training.Architecture} trained on {training.Dataset} with DP-SGD, (ε = {spent.Epsilon:F2}, δ = {recipe.Delta:G3})-DP"));
        return new PrivateTrainedModel(new TrainedModel(model, history, evaluation, info), sigma, sampleRate, engine.Steps, spent);
    }
}
