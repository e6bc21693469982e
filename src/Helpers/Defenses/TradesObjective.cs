using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>The parts of the TRADES loss on one batch.</summary>
/// <param name="Loss">NaturalLoss + β · RobustLoss, the scalar to minimise.</param>
/// <param name="NaturalLoss">Mean cross-entropy on the clean batch.</param>
/// <param name="RobustLoss">Mean over the batch of KL(f(x) ‖ f(x′)) (≥ 0).</param>
/// <param name="Adversarial">x′, the output of <see cref="TradesKlAttack"/>.</param>
/// <param name="AdversarialLogits">f(x′).</param>
public sealed record TradesTerms(Tensor Loss, Tensor NaturalLoss, Tensor RobustLoss, Tensor Adversarial, Tensor AdversarialLogits);

/// <summary>
/// TRADES (Zhang et al., "Theoretically Principled Trade-off between Robustness and Accuracy", ICML 2019):
/// minimise CE(f(x), y) + β · KL(f(x) ‖ f(x′)), where x′ maximises that KL term inside the L∞ ε-ball
/// (<see cref="TradesKlAttack"/>). β trades clean accuracy (small β) for robustness (large β; the paper uses 1 to 10, 6 for CIFAR-10).
/// </summary>
/// <remarks>
/// As in the reference code (github.com/yaodongyu/TRADES, trades.py) the inner attack runs with the model in eval mode,
/// the KL term is summed over classes and averaged over the batch, and gradients of the outer loss flow through both
/// f(x) and f(x′). The clean logits are computed once and serve both terms. The accuracy the trainer reports is
/// accuracy on x′.
/// </remarks>
public sealed class TradesObjective : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="epsilon">L∞ budget of the inner attack, pixel units.</param>
    /// <param name="beta">β ≥ 0, weight of the robust (KL) term; β = 0 is standard training.</param>
    /// <param name="steps">k, ascent steps of the inner attack.</param>
    /// <param name="stepSize">α; default 2.5·ε/k.</param>
    public TradesObjective(double epsilon, double beta = 6, int steps = 10, double? stepSize = null)
    {
        Epsilon = Guard.Epsilon(epsilon);
        Beta = Guard.NonNegative(beta, nameof(beta));
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        StepSize = stepSize is { } alpha ? Guard.NonNegative(alpha, nameof(stepSize)) : 2.5 * epsilon / steps;
    }

    /// <summary>L∞ budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>Weight β of the KL term.</summary>
    public double Beta { get; }

    /// <summary>Inner ascent steps k.</summary>
    public int Steps { get; }

    /// <summary>Inner step size α.</summary>
    public double StepSize { get; }

    /// <inheritdoc />
    public string Name => $"TRADES (β={Beta:G3}, KL-PGD-{Steps} L∞ ε={Epsilon:G3}, α={StepSize:G3})";

    /// <summary>The inner attack on <paramref name="model"/> (Gaussian start from TorchSharp's global generator).</summary>
    public TradesKlAttack AttackFor(nn.Module<Tensor, Tensor> model) => new(model, Epsilon, StepSize, Steps);

    /// <summary>Computes x′ and every term of the loss (the model's mode is left as it is for the outer terms).</summary>
    public TradesTerms ComputeTerms(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var adversarial = AttackFor(model).Run(images, labels);
        var natural = model.forward(images);
        var adversarialLogits = model.forward(adversarial);
        var naturalLoss = nn.functional.cross_entropy(natural, labels);
        var robustLoss = TradesKlAttack.KlDivergence(natural, adversarialLogits).mean();
        return new TradesTerms(naturalLoss + Beta * robustLoss, naturalLoss, robustLoss, adversarial, adversarialLogits);
    }

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var terms = ComputeTerms(model, images, labels);
        return new TrainingStep(terms.Loss, terms.AdversarialLogits);
    }
}
