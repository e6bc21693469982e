using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// FAB-T, the targeted Fast Adaptive Boundary attack (Croce &amp; Hein, "Minimally distorted adversarial examples with a fast
/// adaptive boundary attack", ICML 2020), AutoAttack's third attack. It looks for the smallest perturbation that changes
/// the class: at each step it linearises the decision boundary between the true class y and a target t
/// (f = z_t − z_y ≈ f(x) + ∇f·(z − x)), projects both the current iterate and the original image onto that hyperplane
/// within the box (<see cref="HyperplaneProjection"/>), and moves to a convex combination of the two projections,
/// biased towards the original image: x ← clamp((x + η·d₁)(1 − α) + (x₀ + η·d₂)·α) with
/// α = min(‖d₁‖/(‖d₁‖ + ‖d₂‖), α_max). Once the iterate is misclassified it is recorded if smaller than the best so far and
/// pulled back towards x₀: x ← x₀ + β(x − x₀).
/// </summary>
/// <remarks>
/// <para>
/// Parameters of the reference code (fra31/auto-attack, fab_base.py) and of AutoAttack's standard version:
/// 100 iterations, α_max = 0.1, η = 1.05, β = 0.9, targets the classes with the 2nd … 10th highest clean logit
/// (9 targets), one run per target; further runs start from a random point at half the budget (L∞: scaled so its
/// largest coordinate is ε/2; L2: a Gaussian direction of length ε/2). Only correctly classified examples are attacked.
/// </para>
/// <para>
/// With <see cref="Epsilon"/> set (AutoAttack) an example counts as broken once a misclassified point within ε is found;
/// the later targets run only on the others, and (<see cref="StopWhenFooled"/>) an example leaves the run as soon as
/// that happens, which cannot change the outcome. Without ε the attack returns, per example, the smallest
/// misclassified point it found over all targets (the clean image if none).
/// </para>
/// </remarks>
public sealed class FabTargeted : Attack
{
    /// <summary>Creates FAB-T.</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="epsilon">The budget an example must be broken within (AutoAttack), or null for the minimal-perturbation search.</param>
    /// <param name="norm">L∞ or L2.</param>
    /// <param name="iterations">Iterations per target and run (100).</param>
    /// <param name="targetClasses">Targets tried (9; capped at classes − 1).</param>
    /// <param name="restarts">Runs per target (1); runs after the first start at a random point and need <paramref name="epsilon"/>.</param>
    /// <param name="seed">Seed of the random starts (each example has its own stream).</param>
    public FabTargeted(nn.Module<Tensor, Tensor> model, double? epsilon, Norm norm = Norm.LInf, int iterations = 100, int targetClasses = 9,
                       int restarts = 1, int seed = 0)
        : base(model, $"FAB-T-{iterations}×{targetClasses} {(norm == Norm.LInf ? "L∞" : "L2")}{(epsilon is { } e ? $" ε={e:G3}" : " (minimal)")}")
    {
        if (!Enum.IsDefined(norm)) throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        Epsilon = epsilon is { } eps ? Guard.Epsilon(eps) : null;
        Norm = norm;
        Iterations = Guard.AtLeast(iterations, 1, nameof(iterations));
        TargetClasses = Guard.AtLeast(targetClasses, 1, nameof(targetClasses));
        Restarts = Guard.AtLeast(restarts, 1, nameof(restarts));
        if (Restarts > 1 && Epsilon is null)
            throw new ArgumentException("FAB-T's random restarts start at ε/2 around the image: give epsilon, or use restarts: 1.", nameof(restarts));
        Seed = seed;
    }

    /// <summary>α_max: the largest weight of the projection of the original image.</summary>
    public const double AlphaMax = 0.1;

    /// <summary>η: overshoot of each projection step.</summary>
    public const double Eta = 1.05;

    /// <summary>β: how far a successful iterate is pulled back towards the original image.</summary>
    public const double Beta = 0.9;

    /// <summary>The budget, or null (minimal-perturbation mode).</summary>
    public double? Epsilon { get; }

    /// <summary>Threat model.</summary>
    public Norm Norm { get; }

    /// <summary>Iterations per target and run.</summary>
    public int Iterations { get; }

    /// <summary>Targets tried.</summary>
    public int TargetClasses { get; }

    /// <summary>Runs per target.</summary>
    public int Restarts { get; }

    /// <summary>Seed of the random starts.</summary>
    public int Seed { get; }

    /// <summary>With <see cref="Epsilon"/>: stop iterating on an example once it is broken within ε (default true).</summary>
    public bool StopWhenFooled { get; init; } = true;

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        if (targeted) throw new NotSupportedException($"{Name}: use Run; FAB-T chooses its targets itself (the top non-true classes).");
        long n = images.shape[0];
        Tensor cleanLogits;
        using (no_grad()) cleanLogits = Model.forward(images);
        long classes = cleanLogits.shape[1];
        var result = images.clone();
        var bestNorm = full(n, double.PositiveInfinity, dtype: ScalarType.Float64, device: images.device);
        // Misclassified examples need no attack; they are "done" from the start.
        var done = cleanLogits.argmax(1).ne(labels);
        var order = cleanLogits.argsort(1, descending: true);
        int targets = (int)Math.Min(TargetClasses, classes - 1);
        for (int rank = 1; rank <= targets && !done.all().item<bool>(); rank++)
        {
            for (int run = 0; run < Restarts; run++)
            {
                // No return inside this scope: a tensor created here and returned would be disposed with it.
                using var scope = NewDisposeScope();
                var active = nonzero(done.logical_not()).squeeze(1);
                if (active.numel() == 0) break;
                var x0 = images.index_select(0, active);
                var y = labels.index_select(0, active);
                var t = order.index_select(0, active).select(1, rank);
                var (adversarial, norms) = SingleRun(x0, y, t, SelectIds(ExampleIds, active), rank * 1000 + run, run > 0);
                var better = norms.lt(bestNorm.index_select(0, active));
                var hit = nonzero(better).squeeze(1);
                var rows = active.index_select(0, hit);
                result.index_copy_(0, rows, adversarial.index_select(0, hit));
                bestNorm.index_copy_(0, rows, norms.index_select(0, hit));
                if (Epsilon is { } eps) done.bitwise_or_(bestNorm.le(eps + 1e-7));
            }
        }
        return Epsilon is { } budget ? WithinBudget(result, images, bestNorm, budget) : result;
    }

    /// <summary>With a budget, points found outside it are no adversarial examples for it: the clean image is returned instead.</summary>
    private static Tensor WithinBudget(Tensor result, Tensor images, Tensor bestNorm, double budget) =>
        where(Perturbations.ViewPerExample(bestNorm.le(budget + 1e-7), images), result, images);

    /// <summary>One FAB run towards targets <paramref name="t"/>; returns the smallest misclassified points found and their norms (∞ where none).</summary>
    private (Tensor Adversarial, Tensor Norms) SingleRun(Tensor x0, Tensor y, Tensor t, IReadOnlyList<long> ids, int stream, bool randomStart)
    {
        long b = x0.shape[0];
        var adversarial = x0.clone();
        var norms = full(b, double.PositiveInfinity, dtype: ScalarType.Float64, device: x0.device);
        var x1 = x0.clone();
        if (randomStart && Epsilon is { } eps)
        {
            var noise = Norm == Norm.LInf ? ExampleRandom.Uniform(x0, ids, Seed, stream) * 2 - 1 : ExampleRandom.Normal(x0, ids, Seed, stream);
            var scale = Perturbations.Norms(noise, Norm).clamp_min(1e-12);
            x1 = (x0 + 0.5 * eps * noise / Perturbations.ViewPerExample(scale, noise)).clamp(InputMin, InputMax);
        }
        var rows = arange(b, device: x0.device);   // which rows of the run are still iterated
        var flat0 = x0.flatten(1);
        using var noGrad = no_grad();
        for (int i = 0; i < Iterations && rows.numel() > 0; i++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            var xa = x1.index_select(0, rows);
            var ya = y.index_select(0, rows);
            var ta = t.index_select(0, rows);
            var origin = flat0.index_select(0, rows);
            Tensor? logits = null;
            var gradient = InputGradient(xa, output =>
            {
                logits = output;
                return (output.gather(1, ta.unsqueeze(1)) - output.gather(1, ya.unsqueeze(1))).sum();
            });
            var z = logits!.detach();
            var f = (z.gather(1, ta.unsqueeze(1)) - z.gather(1, ya.unsqueeze(1))).squeeze(1);
            var w = gradient.flatten(1);
            var current = xa.flatten(1);
            // Hyperplane w·p = w·x1 − f; from x1 it is w·d = −f, from x0 it is w·d = w·(x1 − x0) − f.
            var d1 = Project(current, w, -f);
            var d2 = Project(origin, w, (w * (current - origin)).sum(1) - f);
            var a1 = Perturbations.Norms(d1, Norm).clamp_min(1e-8);
            var a2 = Perturbations.Norms(d2, Norm).clamp_min(1e-8);
            var alpha = (a1 / (a1 + a2)).clamp(0, AlphaMax).unsqueeze(1);
            var next = ((current + Eta * d1) * (1 - alpha) + (origin + Eta * d2) * alpha).clamp(InputMin, InputMax);

            var fooled = Model.forward(next.view_as(xa)).argmax(1).ne(ya);
            var size = Perturbations.Norms(next - origin, Norm).to_type(ScalarType.Float64);
            var improved = fooled & size.lt(norms.index_select(0, rows));
            var improvedRows = rows.masked_select(improved);
            adversarial.index_copy_(0, improvedRows, next.view_as(xa).index_select(0, nonzero(improved).squeeze(1)));
            norms.index_copy_(0, improvedRows, size.masked_select(improved));
            // A misclassified iterate is pulled back towards x0 to look for a smaller one.
            next = where(fooled.unsqueeze(1), origin + Beta * (next - origin), next);
            x1.index_copy_(0, rows, next.view_as(xa));
            if (StopWhenFooled && Epsilon is { } budget)
            {
                var open = norms.index_select(0, rows).gt(budget + 1e-7);
                rows = scope.MoveToOuter(rows.masked_select(open));
            }
            else rows = scope.MoveToOuter(rows.clone());
        }
        return (adversarial, norms);
    }

    private Tensor Project(Tensor points, Tensor w, Tensor c) =>
        Norm == Norm.LInf ? HyperplaneProjection.LInf(points, w, c) : HyperplaneProjection.L2(points, w, c);
}
