using ModelSecurity.Data;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// DP-SGD with the course's <see cref="Trainer"/>: the same recipe, learning-rate schedule, progress lines, epoch
/// history, validation and early stopping, with the batches and the update of a <see cref="PrivacyEngine"/>.
/// </summary>
/// <remarks>
/// Why not an <see cref="ITrainingObjective"/>: an objective only chooses the loss, while the trainer keeps the
/// sampling (shuffled fixed-size batches) and the update (one <c>backward()</c> of the batch loss into <c>.grad</c>).
/// DP-SGD must replace both — Poisson sampling for the accountant's guarantee, per-example clipping and noise for
/// the update — and count its steps. Bending an objective to do that (e.g. a surrogate loss whose gradient is the
/// noisy one) would hide the privacy-critical parts inside a "loss". So the trainer's loop (schedule, reporting,
/// history) is shared, and DP-SGD supplies the batches and the step: <c>MakePrivate</c>'s loader and
/// <see cref="DpSgdOptimizer.Step"/>.
/// </remarks>
public static class DpTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> in place with DP-SGD. The recipe's <see cref="TrainingRecipe.BatchSize"/> is the
    /// EXPECTED logical batch size B, so q = B / N; an epoch is about 1/q steps. Optimizer, learning rate, weight
    /// decay and schedule come from the recipe (momentum and Adam are post-processing of the private gradient).
    /// </summary>
    /// <param name="trainer">The loop: its reporter and early-stopping check are used.</param>
    /// <param name="model">The model; moved to <paramref name="device"/>. It must pass <see cref="PrivacyCompatibility"/>.</param>
    /// <param name="train">The private training data (all of it, or the recipe's <see cref="TrainingRecipe.TrainSubset"/>).</param>
    /// <param name="recipe">Epochs, expected batch size, optimizer, schedule and seed (sampling and noise seed too).</param>
    /// <param name="options">σ, C, sampling and physical batch size.</param>
    /// <param name="device">Where to compute (CPU or CUDA).</param>
    /// <param name="engine">Records the steps and reports them to its accountant (null: a new engine, whose record is lost).</param>
    /// <param name="validation">Evaluated after every epoch when given (not private: do not tune on it and claim privacy for it).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or the batch size exceeds the data.</exception>
    /// <exception cref="ArgumentException">The recipe is invalid, or the model has layers DP-SGD cannot handle.</exception>
    public static TrainingHistory FitPrivately(
        this Trainer trainer, nn.Module<Tensor, Tensor> model, ImageDataset train, TrainingRecipe recipe, DpSgdOptions options,
        Device device, PrivacyEngine? engine = null, ImageDataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(options);
        recipe.Validate();
        options.Validate();
        PrivacyCompatibility.Check(model, nameof(model));
        Reproducibility.Seed(recipe.Seed);

        using var subset = recipe.TrainSubset is { } n && n < train.Count ? train.Subset(n, recipe.Seed) : null;
        var data = subset ?? train;
        if (recipe.BatchSize > data.Count)
            throw new ArgumentOutOfRangeException(nameof(recipe), recipe.BatchSize,
                $"Recipe '{recipe.Name}': the expected batch size {recipe.BatchSize} exceeds the {data.Count} training examples (q = B/N must be ≤ 1).");
        double sampleRate = (double)recipe.BatchSize / data.Count;
        model.to(device);
        using var optimizer = Trainer.CreateOptimizer(model, recipe);
        using var training = (engine ?? new PrivacyEngine()).MakePrivate(model, optimizer, data, options.NoiseMultiplier,
            options.MaxGradNorm, sampleRate, options.Sampling, options.MaxPhysicalBatchSize, recipe.Seed, device, options.Loss);

        return trainer.Run(model, recipe, options.ToString(), optimizer, training.Loader, training.BatchesPerEpoch, device, validation,
            batch =>
            {
                var step = training.Optimizer.Step(batch.Images, batch.Labels);
                return new Trainer.BatchOutcome(step.LossSum, step.Correct, step.Count);
            });
    }
}
