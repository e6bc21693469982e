using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Base of every evasion attack. It does the bookkeeping each attack would otherwise repeat: checks the
/// inputs, puts the model in eval mode and freezes its parameters for the duration (so no gradient ever
/// accumulates in them), keeps native memory bounded, clamps the result to the valid input range and
/// restores the model's state afterwards. Subclasses implement only <see cref="Perturb"/>.
/// </summary>
public abstract class Attack
{
    /// <summary>Creates an attack on <paramref name="model"/>.</summary>
    protected Attack(nn.Module<Tensor, Tensor> model, string name)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Name = name;
    }

    /// <summary>The attacked classifier (images → logits).</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Short name, e.g. "PGD-20 L∞ ε=0.1".</summary>
    public string Name { get; }

    /// <summary>Lowest valid pixel value (0).</summary>
    public double InputMin { get; init; }

    /// <summary>Highest valid pixel value (1).</summary>
    public double InputMax { get; init; } = 1;

    /// <summary>Untargeted attack: returns adversarial images meant to be misclassified (any wrong class).</summary>
    /// <param name="images">Batch (N, C, H, W) in [<see cref="InputMin"/>, <see cref="InputMax"/>].</param>
    /// <param name="labels">True labels (N), int64.</param>
    public Tensor Run(Tensor images, Tensor labels) => Execute(images, labels, targeted: false);

    /// <summary>Targeted attack: returns adversarial images meant to be classified as <paramref name="targets"/>.</summary>
    /// <param name="images">Batch (N, C, H, W) in [<see cref="InputMin"/>, <see cref="InputMax"/>].</param>
    /// <param name="targets">Wanted labels (N), int64.</param>
    public Tensor RunTargeted(Tensor images, Tensor targets) => Execute(images, targets, targeted: true);

    /// <summary>
    /// Computes the adversarial batch. The model is in eval mode with frozen parameters; the result is
    /// detached and clamped by the caller. <paramref name="labels"/> are targets when <paramref name="targeted"/>.
    /// </summary>
    protected abstract Tensor Perturb(Tensor images, Tensor labels, bool targeted);

    /// <summary>
    /// The objective the attack maximises, summed over the batch so each example's gradient is its own:
    /// cross-entropy of the true label (untargeted) or minus cross-entropy of the target (targeted).
    /// </summary>
    protected static Tensor Objective(Tensor logits, Tensor labels, bool targeted)
    {
        var loss = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum);
        return targeted ? -loss : loss;
    }

    /// <summary>Per-example objective (N), for keeping the strongest of several tries.</summary>
    protected static Tensor ObjectivePerExample(Tensor logits, Tensor labels, bool targeted)
    {
        var loss = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None);
        return targeted ? -loss : loss;
    }

    /// <summary>True where the attack has reached its goal (misclassified, or classified as the target).</summary>
    protected static Tensor Succeeded(Tensor logits, Tensor labels, bool targeted)
    {
        var predicted = logits.argmax(1);
        return targeted ? predicted.eq(labels) : predicted.ne(labels);
    }

    /// <summary>Gradient of <see cref="Objective"/> with respect to the input <paramref name="x"/>.</summary>
    protected Tensor InputGradient(Tensor x, Tensor labels, bool targeted) =>
        InputGradient(x, logits => Objective(logits, labels, targeted));

    /// <summary>
    /// Gradient with respect to the input <paramref name="x"/> of a scalar <paramref name="objective"/> of the model's
    /// logits (for attacks that maximise something other than cross-entropy, e.g. TRADES's KL divergence).
    /// </summary>
    protected Tensor InputGradient(Tensor x, Func<Tensor, Tensor> objective)
    {
        Runtime.NumericsGuard.EnsureConvolutionGradients(Model);
        using var gradients = enable_grad();
        var input = x.detach().requires_grad_(true);
        var value = objective(Model.forward(input));
        return autograd.grad(new[] { value }, new[] { input })[0].detach();
    }

    /// <summary>
    /// Runs <paramref name="singleRun"/> <paramref name="runs"/> times and keeps, per example, the strongest result: a
    /// successful one first, then the one with the highest objective. Runs after the first attack only the examples
    /// not fooled yet. <paramref name="singleRun"/> receives and returns a sub-batch (images, labels → adversarial images).
    /// </summary>
    protected Tensor StrongestOf(Tensor images, Tensor labels, bool targeted, int runs, Func<Tensor, Tensor, Tensor> singleRun)
    {
        ArgumentNullException.ThrowIfNull(singleRun);
        long n = images.shape[0];
        var best = images.clone();
        var bestSucceeded = zeros(n, dtype: ScalarType.Bool, device: images.device);
        var bestObjective = full(n, double.NegativeInfinity, dtype: images.dtype, device: images.device);
        for (int run = 0; run < runs; run++)
        {
            using var scope = NewDisposeScope();
            // Only examples the attack has not fooled yet are worth another run.
            var active = run == 0 ? arange(n, device: images.device) : nonzero(bestSucceeded.logical_not()).squeeze(1);
            if (active.numel() == 0) break;
            var activeLabels = labels.index_select(0, active);
            var adversarial = singleRun(images.index_select(0, active), activeLabels);
            using var noGrad = no_grad();
            var logits = Model.forward(adversarial);
            var succeeded = Succeeded(logits, activeLabels, targeted);
            var objective = ObjectivePerExample(logits, activeLabels, targeted);
            var previousSucceeded = bestSucceeded.index_select(0, active);
            var previousObjective = bestObjective.index_select(0, active);
            // Better: successful where the best so far was not, or equally successful with a higher loss.
            var better = (succeeded & previousSucceeded.logical_not()) | (succeeded.eq(previousSucceeded) & objective.gt(previousObjective));
            var improved = nonzero(better).squeeze(1);
            var rows = active.index_select(0, improved);
            best.index_copy_(0, rows, adversarial.index_select(0, improved));
            bestSucceeded.index_copy_(0, rows, succeeded.index_select(0, improved));
            bestObjective.index_copy_(0, rows, objective.index_select(0, improved));
        }
        return best;
    }

    /// <summary>Clamps to the valid input range.</summary>
    protected Tensor ClampToInputRange(Tensor x) => x.clamp(InputMin, InputMax);

    private Tensor Execute(Tensor images, Tensor labels, bool targeted)
    {
        Validate(images, labels, targeted);
        bool wasTraining = Model.training;
        var parameters = Model.parameters().ToList();
        var requiredGrad = parameters.Select(p => p.requires_grad).ToList();
        Model.eval();
        foreach (var p in parameters) p.requires_grad = false;
        try
        {
            using var scope = NewDisposeScope();
            var adversarial = ClampToInputRange(Perturb(images.detach(), labels, targeted).detach());
            return scope.MoveToOuter(adversarial);
        }
        finally
        {
            for (int i = 0; i < parameters.Count; i++) parameters[i].requires_grad = requiredGrad[i];
            Model.train(wasTraining);
        }
    }

    private void Validate(Tensor images, Tensor labels, bool targeted)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        string what = targeted ? "targets" : "labels";
        if (images.ndim < 2)
            throw new ArgumentException($"{Name}: images must be a batch shaped (N, C, H, W); got {Guard.Shape(images)}. Add a batch dimension with x.unsqueeze(0).", nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"{Name}: images must be floating point in [{InputMin}, {InputMax}]; got {images.dtype}.", nameof(images));
        if (labels.ndim != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"{Name}: {what} must be shaped (N) = ({images.shape[0]}) to match the images; got {Guard.Shape(labels)}.", nameof(labels));
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"{Name}: {what} must be int64 class indices; got {labels.dtype}. Use labels.to_type(ScalarType.Int64).", nameof(labels));
        if (images.device_type != labels.device_type || images.device_index != labels.device_index)
            throw new ArgumentException($"{Name}: images are on {images.device} but {what} are on {labels.device}; move both to the model's device.");
        if (images.shape[0] == 0) return;

        using var scope = NewDisposeScope();
        double min = images.min().item<float>(), max = images.max().item<float>();
        if (double.IsNaN(min) || double.IsNaN(max))
            throw new ArgumentException($"{Name}: images contain NaN.", nameof(images));
        if (min < InputMin - 1e-6 || max > InputMax + 1e-6)
            throw new ArgumentException(
                $"{Name}: images must lie in [{InputMin}, {InputMax}] (the course keeps pixels in [0, 1] and puts any normalization " +
                $"inside the model); got values in [{min:G4}, {max:G4}].", nameof(images));
        long classes;
        using (no_grad())
        {
            bool wasTraining = Model.training;
            Model.eval();
            try { classes = Model.forward(images.narrow(0, 0, 1)).shape[^1]; }
            finally { Model.train(wasTraining); }
        }
        long lowest = labels.min().item<long>(), highest = labels.max().item<long>();
        if (lowest < 0 || highest >= classes)
            throw new ArgumentException(
                $"{Name}: {what} must be class indices in [0, {classes - 1}] for this model; got values in [{lowest}, {highest}].", nameof(labels));
    }
}
