using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Carlini–Wagner L2 attack (Carlini &amp; Wagner 2017). It searches for the smallest L2 perturbation by
/// minimising ‖x′ − x‖² + c · f(x′) with Adam, where x′ = ½(tanh w + 1) keeps pixels in [0, 1] without
/// clipping, f(x′) = max(Z_y − max_{i≠y} Z_i, −κ) (untargeted; targeted: max(max_{i≠t} Z_i − Z_t, −κ)) acts
/// on logits Z, and a per-example binary search tunes c. Examples it cannot fool come back unchanged.
/// </summary>
public sealed class CarliniWagnerL2 : Attack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="confidence">κ: how far past the decision boundary the result must be.</param>
    /// <param name="initialConstant">First value of c.</param>
    /// <param name="binarySearchSteps">Rounds of the search over c.</param>
    /// <param name="steps">Adam steps per round.</param>
    /// <param name="learningRate">Adam's learning rate on w.</param>
    public CarliniWagnerL2(nn.Module<Tensor, Tensor> model, double confidence = 0, double initialConstant = 0.1,
                           int binarySearchSteps = 5, int steps = 100, double learningRate = 0.01)
        : base(model, $"C&W-L2 κ={confidence:G3}")
    {
        Confidence = Guard.NonNegative(confidence, nameof(confidence));
        InitialConstant = Guard.Positive(initialConstant, nameof(initialConstant));
        BinarySearchSteps = Guard.AtLeast(binarySearchSteps, 1, nameof(binarySearchSteps));
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        LearningRate = Guard.Positive(learningRate, nameof(learningRate));
    }

    /// <summary>κ.</summary>
    public double Confidence { get; }

    /// <summary>Starting c of the binary search.</summary>
    public double InitialConstant { get; }

    /// <summary>Rounds of the binary search over c.</summary>
    public int BinarySearchSteps { get; }

    /// <summary>Adam steps per round.</summary>
    public int Steps { get; }

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; }

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        long n = images.shape[0];
        double range = InputMax - InputMin;
        var device = images.device;
        var unit = ((images - InputMin) / range * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6);
        var start = unit.atanh();
        var bestL2 = full(n, double.PositiveInfinity, dtype: images.dtype, device: device);
        var bestAdversarial = images.clone();
        var lower = zeros(n, dtype: ScalarType.Float64, device: device);
        var upper = full(n, 1e10, dtype: ScalarType.Float64, device: device);
        var constant = full(n, InitialConstant, dtype: ScalarType.Float64, device: device);
        long classes = -1;

        for (int round = 0; round < BinarySearchSteps; round++)
        {
            using var w = new Parameter(start.clone());
            using var optimizer = optim.Adam(new[] { w }, LearningRate);
            var foundThisRound = zeros(n, dtype: ScalarType.Bool, device: device);
            var c = constant.to_type(images.dtype);
            for (int step = 0; step < Steps; step++)
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                using var gradients = enable_grad();
                var adversarial = (w.tanh() + 1) * (range / 2) + InputMin;
                var squaredL2 = (adversarial - images).pow(2).flatten(1).sum(1);
                var logits = Model.forward(adversarial);
                if (classes < 0) classes = logits.shape[1];
                var margin = Margin(logits, labels, targeted, classes);
                var loss = (squaredL2 + c * (margin + Confidence).clamp_min(0)).sum();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();

                using (no_grad())
                {
                    var success = margin.detach().le(-Confidence) & squaredL2.detach().lt(bestL2);
                    bestL2.copy_(where(success, squaredL2.detach(), bestL2));
                    bestAdversarial.copy_(where(Perturbations.ViewPerExample(success, images), adversarial.detach(), bestAdversarial));
                    foundThisRound.bitwise_or_(success);
                }
            }

            // Binary search on c: found → try a smaller c; not found → a larger one (×10 until an upper bound exists).
            var found = foundThisRound;
            upper.copy_(where(found, minimum(upper, constant), upper));
            lower.copy_(where(found, lower, maximum(lower, constant)));
            var bounded = upper.lt(1e9);
            constant.copy_(where(bounded, (lower + upper) / 2, constant * 10));
            c.Dispose();
        }
        return bestAdversarial;
    }

    /// <summary>Z_y − max_{i≠y} Z_i (untargeted) or max_{i≠t} Z_i − Z_t (targeted): negative means success.</summary>
    private static Tensor Margin(Tensor logits, Tensor labels, bool targeted, long classes)
    {
        var oneHot = nn.functional.one_hot(labels, classes).to_type(logits.dtype);
        var labelLogit = (logits * oneHot).sum(1);
        var otherLogit = (logits - oneHot * 1e4).amax(new long[] { 1 });
        return targeted ? otherLogit - labelLogit : labelLogit - otherLogit;
    }
}
