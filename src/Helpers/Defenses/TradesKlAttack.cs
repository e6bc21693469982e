using ModelSecurity.Attacks;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// The inner maximisation of TRADES (Zhang et al. 2019): x′ ≈ argmax_{‖x′ − x‖∞ ≤ ε} KL(f(x) ‖ f(x′)), the point of the
/// ball where the model's prediction moves furthest from its prediction on the clean image. It starts at
/// x + 0.001·N(0, 1) and takes k sign-gradient ascent steps of size α on the KL divergence, each followed by projection
/// onto the ball and clamping to [0, 1] — as perturb_kl / trades_loss in the reference code (github.com/yaodongyu/TRADES,
/// trades.py). Unlike PGD it uses no labels: it attacks the model's own prediction.
/// </summary>
public sealed class TradesKlAttack : Attack
{
    /// <summary>Standard deviation of the Gaussian start around the clean image (0.001 in the reference code).</summary>
    public const double StartNoise = 0.001;

    /// <summary>Creates the attack.</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="epsilon">L∞ budget, pixel units.</param>
    /// <param name="stepSize">α; default 2.5·ε/k.</param>
    /// <param name="steps">k, ascent steps.</param>
    /// <param name="seed">Seed of the Gaussian start (null: TorchSharp's global generator).</param>
    public TradesKlAttack(nn.Module<Tensor, Tensor> model, double epsilon, double? stepSize = null, int steps = 10, int? seed = null)
        : base(model, $"TRADES-KL-{steps} L∞ ε={epsilon:G3}")
    {
        Epsilon = Guard.Epsilon(epsilon);
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        StepSize = stepSize is { } alpha ? Guard.NonNegative(alpha, nameof(stepSize)) : 2.5 * epsilon / steps;
        Seed = seed;
    }

    /// <summary>L∞ budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>Step size α.</summary>
    public double StepSize { get; }

    /// <summary>Ascent steps k.</summary>
    public int Steps { get; }

    /// <summary>Seed of the start.</summary>
    public int? Seed { get; }

    /// <summary>
    /// KL(p ‖ q) per example (N) for p = softmax(<paramref name="naturalLogits"/>), q = softmax(<paramref name="adversarialLogits"/>):
    /// Σ_c p_c (log p_c − log q_c), summed over classes. TRADES's robust loss is its mean over the batch (PyTorch's
    /// KLDivLoss with reduction "sum" divided by the batch size, i.e. "batchmean").
    /// </summary>
    public static Tensor KlDivergence(Tensor naturalLogits, Tensor adversarialLogits)
    {
        ArgumentNullException.ThrowIfNull(naturalLogits);
        ArgumentNullException.ThrowIfNull(adversarialLogits);
        var logP = naturalLogits.log_softmax(1);
        return (logP.exp() * (logP - adversarialLogits.log_softmax(1))).sum(1);
    }

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        if (targeted)
            throw new NotSupportedException($"{Name} is untargeted: it moves the prediction away from the model's own and ignores labels.");
        using var generator = Seed is { } s ? new Generator((ulong)s, images.device) : null;
        Tensor natural;
        using (no_grad()) natural = Model.forward(images).detach();
        var noise = randn(images.shape, dtype: images.dtype, device: images.device, generator: generator) * StartNoise;
        var adversarial = Perturbations.ProjectOntoBall(images, images + noise, Epsilon, Norm.LInf, InputMin, InputMax);
        for (int step = 0; step < Steps; step++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            var gradient = InputGradient(adversarial, logits => KlDivergence(natural, logits).sum());
            var next = Perturbations.ProjectOntoBall(images, adversarial + StepSize * gradient.sign(), Epsilon, Norm.LInf, InputMin, InputMax);
            adversarial = scope.MoveToOuter(next);
        }
        return adversarial;
    }
}
