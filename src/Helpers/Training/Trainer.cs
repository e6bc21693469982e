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
        using var optimizer = CreateOptimizer(model, recipe);
        var schedule = LearningRateSchedules.Create(recipe.Schedule, recipe.Epochs);
        var loader = new DataLoader(data, recipe.BatchSize, device, shuffle: true, seed: recipe.Seed);
        var history = new TrainingHistory(recipe, objective.Name);
        int batches = loader.BatchCount;
        int reportEvery = ProgressReportsPerEpoch == 0 ? int.MaxValue : Math.Max(1, batches / ProgressReportsPerEpoch);

        for (int epoch = 1; epoch <= recipe.Epochs; epoch++)
        {
            model.train();
            var clock = Stopwatch.StartNew();
            double lossSum = 0, learningRate = recipe.LearningRate;
            long correct = 0, seen = 0;
            int batchIndex = 0;
            foreach (var batch in loader)
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                using (batch)
                {
                    learningRate = recipe.LearningRate * schedule.FactorAt(epoch - 1 + (double)batchIndex / batches);
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;

                    optimizer.zero_grad();
                    var step = objective.Compute(model, batch.Images, batch.Labels);
                    step.Loss.backward();
                    optimizer.step();

                    lossSum += step.Loss.item<float>() * batch.Count;
                    correct += step.Logits.argmax(1).eq(batch.Labels).sum().item<long>();
                    seen += batch.Count;
                }
                batchIndex++;
                if (batchIndex % reportEvery == 0 && batchIndex < batches)
                    Reporter.OnProgress(new TrainingProgress(epoch, recipe.Epochs, batchIndex, batches, lossSum / seen,
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

    private static optim.Optimizer CreateOptimizer(nn.Module<Tensor, Tensor> model, TrainingRecipe recipe) =>
        recipe.Optimizer switch
        {
            "adam" => optim.Adam(model.parameters(), recipe.LearningRate, weight_decay: recipe.WeightDecay),
            "sgd" => optim.SGD(model.parameters(), recipe.LearningRate, momentum: recipe.Momentum, weight_decay: recipe.WeightDecay),
            _ => throw new ArgumentException($"Unknown optimizer \"{recipe.Optimizer}\"."),
        };
}
