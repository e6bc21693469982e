using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// "Fast is better than free" adversarial training (Wong, Rice, Kolter, ICLR 2020): FGSM from a uniformly random
/// point of the ε-ball with step α = 1.25·ε, the result clamped to the ball and to [0, 1], then a training step on it.
/// About as cheap as two standard steps per batch.
/// </summary>
/// <remarks>
/// This is PGD adversarial training with a single step from a random start, and is implemented as exactly that
/// (<see cref="PgdAdversarialTraining"/> with k = 1), as in the authors' code (train_fgsm.py). Single-step training can
/// suddenly lose all robustness to multi-step attacks ("catastrophic overfitting"): train with a
/// <see cref="CatastrophicOverfittingMonitor"/> as the trainer's <c>StopAfterEpoch</c> check.
/// </remarks>
public sealed class FastAdversarialTraining : ITrainingObjective
{
    /// <summary>α / ε of Wong et al.</summary>
    public const double DefaultStepFactor = 1.25;

    private readonly PgdAdversarialTraining _singleStep;

    /// <summary>Creates the objective.</summary>
    /// <param name="epsilon">L∞ budget, pixel units.</param>
    /// <param name="stepSize">α; default 1.25·ε.</param>
    public FastAdversarialTraining(double epsilon, double? stepSize = null)
    {
        Epsilon = Guard.Epsilon(epsilon);
        StepSize = stepSize is { } alpha ? Guard.NonNegative(alpha, nameof(stepSize)) : DefaultStepFactor * epsilon;
        _singleStep = new PgdAdversarialTraining(Epsilon, steps: 1, stepSize: StepSize, randomStart: true);
    }

    /// <summary>L∞ budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>FGSM step size α.</summary>
    public double StepSize { get; }

    /// <inheritdoc />
    public string Name => $"fast AT (FGSM with random start, ε={Epsilon:G3}, α={StepSize:G3})";

    /// <summary>The adversarial batch this objective trains on.</summary>
    public Tensor AdversarialExamples(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels) =>
        _singleStep.AdversarialExamples(model, images, labels);

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels) =>
        _singleStep.Compute(model, images, labels);
}
