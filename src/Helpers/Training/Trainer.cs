using System.Diagnostics;
using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>
/// The course's training loop: seeded shuffling, optimizer and learning-rate schedule from a
/// <see cref="TrainingRecipe"/>, a pluggable <see cref="ITrainingObjective"/>, progress, and a history.
/// Native memory stays bounded: every batch's tensors live in their own dispose scope.
/// </summary>
public sealed class Trainer
{
    /// <summary>Creates a trainer that reports to <paramref name="reporter"/> (default: the console).</summary>
    public Trainer(ITrainingReporter? reporter = null, int progressReportsPerEpoch = 4)
    {
        Reporter = reporter ?? new ConsoleTrainingReporter(progressReportsPerEpoch);
        ProgressReportsPerEpoch = reporter is SilentTrainingReporter ? 0 : Math.Max(0, progressReportsPerEpoch);
    }

    /// <summary>Where progress goes.</summary>
    public ITrainingReporter Reporter { get; }

    /// <summary>Progress lines per epoch.</summary>
    public int ProgressReportsPerEpoch { get; }

    /// <summary>
    /// Optional check after every epoch, the last one included; returning true stops training (e.g. early stopping
    /// when a robustness check collapses). The model is in eval mode during the call, and the check may change its
    /// weights (e.g. restore an earlier epoch's).
    /// </summary>
    public Func<nn.Module<Tensor, Tensor>, EpochRecord, bool>? StopAfterEpoch { get; init; }

    /// <summary>
    /// Trains <paramref name="model"/> in place on <paramref name="train"/> following <paramref name="recipe"/>.
    /// </summary>
    /// <param name="model">The model; moved to <paramref name="device"/>.</param>
    /// <param name="train">Training data (its full size, or <see cref="TrainingRecipe.TrainSubset"/> of it).</param>
    /// <param name="recipe">Optimizer, schedule, epochs, batch size and seed.</param>
    /// <param name="device">Where to compute (see <c>TorchRuntime.PickDevice</c>).</param>
    /// <param name="validation">Evaluated after every epoch when given.</param>
    /// <param name="objective">The loss to minimise (default: cross-entropy).</param>
    public TrainingHistory Fit(
        nn.Module<Tensor, Tensor> model, ImageDataset train, TrainingRecipe recipe, Device device,
        ImageDataset? validation = null, ITrainingObjective? objective = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        recipe.Validate();
        objective ??= new CrossEntropyObjective();
        Reproducibility.Seed(recipe.Seed);

        using var subset = recipe.TrainSubset is { } n && n < train.Count ? train.Subset(n, recipe.Seed) : null;
        var data = subset ?? train;
        model.to(device);
        Runtime.NumericsGuard.EnsureConvolutionGradients(model);
        using var optimizer = CreateOptimizer(model, recipe);
        var loader = new DataLoader(data, recipe.BatchSize, device, shuffle: true, seed: recipe.Seed);
        return Run(model, recipe, objective.Name, optimizer, loader, loader.BatchCount, device, validation, batch =>
        {
            optimizer.zero_grad();
            var step = objective.Compute(model, batch.Images, batch.Labels);
            step.Loss.backward();
            optimizer.step();
            return new BatchOutcome(step.Loss.item<float>() * batch.Count,
                step.Logits.argmax(1).eq(batch.Labels).sum().item<long>(), batch.Count);
        });
    }

    /// <summary>What training on one batch measured: summed loss, correct predictions, examples.</summary>
    internal readonly record struct BatchOutcome(double LossSum, long Correct, int Count);

    /// <summary>
    /// The loop shared by <see cref="Fit"/> and other update rules (DP-SGD, <c>ModelSecurity.Privacy.DpTrainer</c>):
    /// learning-rate schedule, progress, epoch records, validation and early stopping around
    /// <paramref name="trainOn"/>, which updates the model on one batch. Each enumeration of <paramref name="batches"/>
    /// is one epoch of <paramref name="batchesPerEpoch"/> batches; every batch runs in its own dispose scope.
    /// </summary>
    internal TrainingHistory Run(
        nn.Module<Tensor, Tensor> model, TrainingRecipe recipe, string objectiveName, optim.Optimizer optimizer,
        IEnumerable<Batch> batches, int batchesPerEpoch, Device device, ImageDataset? validation, Func<Batch, BatchOutcome> trainOn)
    {
        var schedule = LearningRateSchedules.Create(recipe.Schedule, recipe.Epochs);
        var history = new TrainingHistory(recipe, objectiveName);
        int reportEvery = ProgressReportsPerEpoch == 0 ? int.MaxValue : Math.Max(1, batchesPerEpoch / ProgressReportsPerEpoch);

        for (int epoch = 1; epoch <= recipe.Epochs; epoch++)
        {
            model.train();
            var clock = Stopwatch.StartNew();
            double lossSum = 0, learningRate = recipe.LearningRate;
            long correct = 0, seen = 0;
            int batchIndex = 0;
            foreach (var batch in batches)
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                using (batch)
                {
                    learningRate = recipe.LearningRate * schedule.FactorAt(epoch - 1 + (double)batchIndex / batchesPerEpoch);
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;

                    var outcome = trainOn(batch);
                    lossSum += outcome.LossSum;
                    correct += outcome.Correct;
                    seen += outcome.Count;
                }
                batchIndex++;
                if (batchIndex % reportEvery == 0 && batchIndex < batchesPerEpoch)
                    Reporter.OnProgress(new TrainingProgress(epoch, recipe.Epochs, batchIndex, batchesPerEpoch, lossSum / seen,
                        (double)correct / seen, seen / clock.Elapsed.TotalSeconds, learningRate));
            }
            clock.Stop();

            double? validationAccuracy = validation == null ? null : Evaluator.Evaluate(model, validation, device).Accuracy;
            var record = new EpochRecord(epoch, lossSum / seen, (double)correct / seen, validationAccuracy, learningRate,
                clock.Elapsed.TotalSeconds, seen / clock.Elapsed.TotalSeconds);
            history.Add(record);
            Reporter.OnEpoch(record, recipe.Epochs);

            if (StopAfterEpoch != null)
            {
                model.eval();
                bool stop = StopAfterEpoch(model, record);
                if (stop && epoch < recipe.Epochs)
                {
                    history.StoppedEarly = true;
                    break;
                }
            }
        }
        model.eval();
        Reporter.OnFinished(history);
        return history;
    }

    /// <summary>The recipe's optimizer over all of the model's parameters.</summary>
    internal static optim.Optimizer CreateOptimizer(nn.Module<Tensor, Tensor> model, TrainingRecipe recipe) =>
        recipe.Optimizer switch
        {
            "adam" => optim.Adam(model.parameters(), recipe.LearningRate, weight_decay: recipe.WeightDecay),
            "sgd" => new KeepAliveSgd(model.parameters(), recipe.LearningRate, momentum: recipe.Momentum, weightDecay: recipe.WeightDecay),
            _ => throw new ArgumentException($"Unknown optimizer \"{recipe.Optimizer}\"."),
        };
}
