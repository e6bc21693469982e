using ModelSecurity.Attacks;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// PGD adversarial training (Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018):
/// minimise E[max_{‖δ‖∞ ≤ ε} CE(f(x + δ), y)]. Every batch is first attacked with PGD-k (L∞, random start, step α) on the
/// current model, then the model takes its training step on the adversarial batch alone.
/// </summary>
/// <remarks>
/// The inner attack is <see cref="Pgd"/>, which runs the model in eval mode with frozen parameters and restores both
/// afterwards (the course's models have no BatchNorm, but the pattern keeps the attack from touching running statistics
/// or parameter gradients). The accuracy the trainer reports is accuracy on these adversarial examples.
/// </remarks>
public sealed class PgdAdversarialTraining : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="epsilon">L∞ budget of the inner attack, pixel units.</param>
    /// <param name="steps">k, PGD iterations per batch.</param>
    /// <param name="stepSize">α; default 2.5·ε/k, as <see cref="Pgd"/>.</param>
    /// <param name="randomStart">Start each attack at a random point of the ε-ball (Madry et al. do).</param>
    public PgdAdversarialTraining(double epsilon, int steps = 10, double? stepSize = null, bool randomStart = true)
    {
        Epsilon = Guard.Epsilon(epsilon);
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        StepSize = stepSize is { } alpha ? Guard.NonNegative(alpha, nameof(stepSize)) : 2.5 * epsilon / steps;
        RandomStart = randomStart;
    }

    /// <summary>L∞ budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>PGD iterations k.</summary>
    public int Steps { get; }

    /// <summary>PGD step size α.</summary>
    public double StepSize { get; }

    /// <summary>Whether each attack starts at a random point of the ball.</summary>
    public bool RandomStart { get; }

    /// <inheritdoc />
    public string Name => $"PGD-AT (PGD-{Steps} L∞ ε={Epsilon:G3}, α={StepSize:G3})";

    /// <summary>The inner attack on <paramref name="model"/> (random starts from TorchSharp's global generator).</summary>
    public Pgd AttackFor(nn.Module<Tensor, Tensor> model) => new(model, Epsilon, StepSize, Steps, Norm.LInf, RandomStart);

    /// <summary>The adversarial batch this objective trains on.</summary>
    public Tensor AdversarialExamples(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels) =>
        AttackFor(model).Run(images, labels);

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var adversarial = AdversarialExamples(model, images, labels);
        var logits = model.forward(adversarial);
        return new TrainingStep(nn.functional.cross_entropy(logits, labels), logits);
    }
}
