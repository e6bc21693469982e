using ModelSecurity.Defenses;
using ModelSecurity.Models;

namespace ModelSecurity.Training;

/// <summary>The training recipes behind the checkpoints shipped in <c>data/checkpoints/</c>.</summary>
/// <remarks>
/// The robust recipes (chapters 3–4) all target Fashion-MNIST at L∞ ε = 0.1 with a budget of about an hour of two CPU
/// cores each (docs/adversarial-training.md has the reasoning and the measurements). Their choices, in short: Adam with a cosine schedule as for <see cref="Baseline"/> (no tuning of SGD
/// needed, and the annealed end of the schedule is where robust accuracy is gained); PGD-10 with α = ε/4 (= 2.5·ε/k) and
/// a random start for training, strong enough at ε = 0.1 on 28×28 grey images while costing about 10 standard steps per batch;
/// 6 epochs (PGD-AT, TRADES), since robust accuracy on Fashion-MNIST levels off after a few epochs while robust overfitting
/// (Rice et al. 2020) only sets in much later, and 6 epochs of 11 passes per batch fit an hour of two CPU cores. PGD-AT uses the baseline's architecture, the Kolter–Madry CNN, so that chapter 3
/// compares a standard and a robust model that differ only in training; TRADES uses the same network and schedule, with
/// the TRADES paper's β = 6 (an earlier TRADES model on SmallCNN, the paper's MNIST network, is kept for comparison).
/// </remarks>
public static class Recipes
{
    /// <summary>
    /// The standard (non-robust) baseline: the Kolter–Madry CNN on Fashion-MNIST, Adam, cosine schedule.
    /// Every attack chapter starts from this model.
    /// </summary>
    public static TrainingRecipe Baseline { get; } = new()
    {
        Name = "baseline",
        Architecture = "kolter-madry-cnn",
        Dataset = "fashion-mnist",
        Epochs = 8,
        BatchSize = 128,
        Optimizer = "adam",
        LearningRate = 2e-3,
        Schedule = "cosine",
        Seed = 0,
    };

    /// <summary>
    /// PGD adversarial training (Madry et al.) of the Kolter–Madry CNN on Fashion-MNIST: L∞ ε = 0.1, PGD-10 with α = 0.025
    /// and random start; Adam 1e-3, cosine schedule, 6 epochs. Makes <see cref="ShippedModels.PgdAtFile"/>.
    /// </summary>
    public static RobustTrainingRecipe PgdAt { get; } = new()
    {
        Training = Baseline with { Name = "pgd-at", Epochs = 6, LearningRate = 1e-3 },
        Method = "pgd-at",
        Epsilon = 0.1,
        AttackSteps = 10,
        StepSize = 0.025,
        CheckpointFile = ShippedModels.PgdAtFile,
    };

    /// <summary>
    /// TRADES (Zhang et al.) of the Kolter–Madry CNN (the architecture of <see cref="PgdAt"/>) on Fashion-MNIST: L∞ ε = 0.1, β = 6, 10 KL ascent steps of α = 0.025;
    /// Adam 1e-3, cosine schedule, 6 epochs. Makes <see cref="ShippedModels.TradesFile"/>.
    /// </summary>
    public static RobustTrainingRecipe Trades { get; } = new()
    {
        Training = Baseline with { Name = "trades", Architecture = "kolter-madry-cnn", Epochs = 6, LearningRate = 1e-3 },
        Method = "trades",
        Epsilon = 0.1,
        AttackSteps = 10,
        StepSize = 0.025,
        Beta = 6,
        CheckpointFile = ShippedModels.TradesFile,
    };

    /// <summary>
    /// Fast adversarial training (Wong et al.) of the Kolter–Madry CNN on Fashion-MNIST: FGSM from a random start with
    /// α = 1.25·ε, ε = 0.1; Adam with the one-cycle schedule of the paper (peak 2e-3), 10 epochs; early stopping when PGD
    /// accuracy on 512 training images collapses. Makes <see cref="ShippedModels.FastAtFile"/>.
    /// </summary>
    public static RobustTrainingRecipe FastAt { get; } = new()
    {
        Training = Baseline with { Name = "fast-at", Epochs = 10, Schedule = "one-cycle" },
        Method = "fast-at",
        Epsilon = 0.1,
        AttackSteps = 1,
        StepSize = 0.125,
        EarlyStopping = true,
        CheckpointFile = ShippedModels.FastAtFile,
    };

    /// <summary>
    /// Robust overfitting (Rice, Wong, Kolter 2020) at the course's scale, for <c>course robust-overfitting</c> and
    /// chapter 03: PGD-AT as in <see cref="PgdAt"/> (L∞ ε = 0.1, PGD-10, α = 0.025) of the Kolter–Madry CNN on a random
    /// subset of the training images, with their optimiser and schedule shape — SGD with momentum 0.9 and weight decay
    /// 5e-4, the learning rate divided by 10 at half and at three quarters of the run. SGD's large early steps keep the
    /// model from fitting its training set until the first decay; a small subset lets it memorise after that.
    /// </summary>
    public static RobustTrainingRecipe RobustOverfitting { get; } = PgdAt with
    {
        Training = Baseline with
        {
            Name = "robust-overfitting",
            Epochs = 80,
            BatchSize = 32,
            Optimizer = "sgd",
            LearningRate = 0.05,
            Momentum = 0.9,
            WeightDecay = 5e-4,
            Schedule = "step",
            TrainSubset = 1000,
        },
        CheckpointFile = null,
    };

    /// <summary>The target ε values of the shipped DP checkpoints (chapter 5), all at δ = 1e-5.</summary>
    public static IReadOnlyList<double> PrivateEpsilons { get; } = Array.AsReadOnly(new[] { 1.0, 3.0, 8.0 });

    /// <summary>
    /// DP-SGD (Abadi et al.) of the tanh CNN of Papernot et al. on Fashion-MNIST at (ε, 1e-5): Poisson sampling with
    /// expected batch 512, C = 1, σ calibrated by the RDP accountant for the whole run, SGD with momentum 0.9 and a
    /// cosine schedule. Makes <see cref="ShippedModels.PrivateFile"/>.
    /// </summary>
    /// <param name="epsilon">Target ε &gt; 0 (the shipped ones: <see cref="PrivateEpsilons"/>).</param>
    public static Privacy.PrivateTrainingRecipe Private(double epsilon) => new()
    {
        Training = Baseline with
        {
            Name = ShippedModels.PrivateName(epsilon),
            Architecture = TanhCnn.ArchitectureName,
            Epochs = 20,
            BatchSize = 512,
            Optimizer = "sgd",
            LearningRate = 0.5,
            Momentum = 0.9,
            Schedule = "cosine",
        },
        TargetEpsilon = epsilon,
        Delta = 1e-5,
        MaxGradNorm = 1.0,
        CheckpointFile = ShippedModels.PrivateFile(epsilon),
    };

    /// <summary>
    /// A base classifier for randomized smoothing (chapter 07): the Kolter–Madry CNN trained like <see cref="Baseline"/>
    /// but for 4 epochs, on images with Gaussian noise of standard deviation <paramref name="sigma"/> added
    /// (<c>Certification.GaussianNoiseAugmentation</c>). Makes <see cref="ShippedModels.GaussianNoiseFile"/> for σ = 0.25 and 0.5.
    /// </summary>
    public static TrainingRecipe GaussianNoise(double sigma) =>
        Baseline with { Name = FormattableString.Invariant($"gaussian-noise-{sigma}"), Epochs = 4 };

    /// <summary>Temperature of defensive distillation in chapter 07 (Papernot et al. 2016 use T = 100 on MNIST).</summary>
    public const double DistillationTemperature = 100;

    /// <summary>
    /// The teacher of defensive distillation: the Kolter–Madry CNN trained like <see cref="Baseline"/> for 4 epochs, with
    /// cross-entropy at temperature <see cref="DistillationTemperature"/> (<see cref="TemperatureCrossEntropy"/>).
    /// </summary>
    public static TrainingRecipe DistillationTeacher { get; } = Baseline with { Name = "distillation-teacher", Epochs = 4 };

    /// <summary>
    /// The defensively distilled student: same architecture and schedule as the teacher, trained from scratch on the
    /// teacher's soft labels at the same temperature (<see cref="DistillationObjective"/>), seed 1.
    /// </summary>
    public static TrainingRecipe DistillationStudent { get; } = Baseline with { Name = "distilled-student", Epochs = 4, Seed = 1 };

    /// <summary>The robust recipe for a method: "pgd-at", "fast-at" or "trades".</summary>
    /// <exception cref="ArgumentException">Unknown method.</exception>
    public static RobustTrainingRecipe Robust(string method) => method switch
    {
        "pgd-at" => PgdAt,
        "fast-at" => FastAt,
        "trades" => Trades,
        _ => throw new ArgumentException(
            $"Unknown adversarial training method \"{method}\"; use one of: {string.Join(", ", RobustTrainingRecipe.Methods)}.", nameof(method)),
    };
}
