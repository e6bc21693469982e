using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// HopSkipJumpAttack, L2, untargeted (Chen, Jordan &amp; Wainwright, IEEE S&amp;P 2020): a decision-based black-box attack
/// that sees only the predicted class. From a misclassified starting point (uniform noise, blended towards x by binary
/// search), it repeats: binary search to the decision boundary; estimate the boundary's normal by Monte Carlo, the mean
/// of random unit directions u weighted by whether x_b + δu is adversarial (baseline-corrected); a geometric step
/// along it, halved until still adversarial; binary search back towards x. The perturbation shrinks with the queries.
/// </summary>
/// <remarks>
/// With <see cref="Epsilon"/> set, the result is the adversarial point projected onto the L2 ε-ball (so it counts as a
/// success exactly when the attack got within ε), and an example stops early once it is within ε. Without it, the
/// attack minimises the distance until the budget is spent, and the caller reads the distances.
/// Examples are attacked one at a time; each query batch (the gradient estimate) is one forward pass.
/// </remarks>
public sealed class HopSkipJump : QueryAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="model">The attacked classifier (only its decisions are read).</param>
    /// <param name="maxQueries">Query budget per example.</param>
    /// <param name="epsilon">L2 budget; null: minimise the distance with the whole budget.</param>
    /// <param name="initialEvaluations">Monte Carlo directions at the first iteration (then ×√t).</param>
    /// <param name="maxEvaluations">Most directions per gradient estimate.</param>
    /// <param name="seed">Seed of the random directions and starting points.</param>
    public HopSkipJump(nn.Module<Tensor, Tensor> model, int maxQueries = 1000, double? epsilon = null,
                       int initialEvaluations = 100, int maxEvaluations = 1000, int seed = 0)
        : base(model, $"HopSkipJump L2{(epsilon is { } e ? $" ε={e:G3}" : "")} ({maxQueries} queries)", maxQueries)
    {
        Epsilon = epsilon is { } eps ? Guard.Epsilon(eps) : null;
        InitialEvaluations = Guard.AtLeast(initialEvaluations, 2, nameof(initialEvaluations));
        MaxEvaluations = Guard.AtLeast(maxEvaluations, InitialEvaluations, nameof(maxEvaluations));
        Seed = seed;
    }

    /// <summary>L2 budget, or null.</summary>
    public double? Epsilon { get; }

    /// <summary>Directions of the first gradient estimate.</summary>
    public int InitialEvaluations { get; }

    /// <summary>Most directions per gradient estimate.</summary>
    public int MaxEvaluations { get; }

    /// <summary>Seed.</summary>
    public int Seed { get; }

    /// <summary>L2 distance of each example's result from its clean image in the last run (∞ where no adversarial point was found).</summary>
    public IReadOnlyList<double> LastDistances { get; private set; } = [];

    /// <inheritdoc />
    protected override Tensor Search(Tensor images, Tensor labels, bool targeted)
    {
        if (targeted)
            throw new NotSupportedException("This HopSkipJump implementation is untargeted only; call Run, not RunTargeted.");
        using var generator = new Generator((ulong)Seed, images.device);
        long n = images.shape[0];
        var result = images.clone();
        var distances = new double[n];
        var labelArray = labels.cpu().data<long>().ToArray();
        for (int i = 0; i < n; i++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            var (adversarial, distance) = AttackOne(images[i].unsqueeze(0), labelArray[i], i, generator);
            distances[i] = distance;
            if (adversarial is null) continue;
            if (Epsilon is { } eps)
            {
                bool within = distance <= eps + 1e-6;
                MarkSucceeded(i, within);
                if (within) result[i] = Perturbations.ProjectOntoBall(images[i].unsqueeze(0), adversarial, eps, Norm.L2, InputMin, InputMax).squeeze(0);
            }
            else
            {
                MarkSucceeded(i, true);
                result[i] = adversarial.squeeze(0);
            }
        }
        LastDistances = distances;
        return result;
    }

    private (Tensor? Adversarial, double Distance) AttackOne(Tensor x, long label, int example, Generator generator)
    {
        long d = x.numel();
        double theta = 1.0 / (Math.Sqrt(d) * d); // γ / d^{3/2} with γ = 1 (the paper's L2 setting)
        bool IsAdversarial(Tensor candidates) => QueryDecisions(candidates, example).ne(label).any().item<bool>();
        Tensor Decisions(Tensor candidates) => QueryDecisions(candidates, example).ne(label);

        // Start: uniform noise until misclassified, then as close to x as a binary search gets.
        Tensor? start = null;
        for (int attempt = 0; attempt < 100 && QueriesLeft(example) > 0; attempt++)
        {
            var noise = rand(x.shape, dtype: x.dtype, device: x.device, generator: generator) * (InputMax - InputMin) + InputMin;
            if (IsAdversarial(noise)) { start = noise; break; }
        }
        if (start is null) return (null, double.PositiveInfinity);
        var current = BinarySearch(x, start, theta, example, label);
        double distance = L2(current, x);

        for (int t = 1; QueriesLeft(example) > 0 && !(Epsilon is { } eps && distance <= eps); t++)
        {
            using var scope = NewDisposeScope();
            // Gradient direction at the boundary point from B random unit directions.
            double delta = Math.Sqrt(d) * theta * distance;
            int evaluations = (int)Math.Min(Math.Min(InitialEvaluations * Math.Sqrt(t), MaxEvaluations), QueriesLeft(example));
            if (evaluations < 2) break;
            var shape = new long[] { evaluations }.Concat(x.shape.Skip(1)).ToArray();
            var directions = randn(shape, dtype: x.dtype, device: x.device, generator: generator);
            directions = directions / Perturbations.ViewPerExample(Perturbations.Norms(directions, Norm.L2), directions);
            var perturbed = (current + delta * directions).clamp(InputMin, InputMax);
            var signs = Decisions(perturbed).to_type(x.dtype) * 2 - 1;
            var used = (perturbed - current) / delta;
            double mean = signs.mean().item<float>();
            var weights = Math.Abs(mean) == 1 ? signs : signs - mean;
            var gradient = (Perturbations.ViewPerExample(weights, used) * used).mean(new long[] { 0 }, keepdim: true);
            gradient = gradient / gradient.norm().clamp_min(1e-12);

            // Geometric step: ξ = distance/√t, halved until the step lands on the adversarial side.
            double step = distance / Math.Sqrt(t);
            Tensor? next = null;
            while (QueriesLeft(example) > 0 && step > 1e-8)
            {
                var candidate = (current + step * gradient).clamp(InputMin, InputMax);
                if (IsAdversarial(candidate)) { next = candidate; break; }
                step /= 2;
            }
            if (next is null) break;
            var projected = BinarySearch(x, next, theta, example, label);
            double newDistance = L2(projected, x);
            if (newDistance < distance)
            {
                current = scope.MoveToOuter(projected);
                distance = newDistance;
            }
        }
        return (current, distance);
    }

    /// <summary>The adversarial point on the segment from x to <paramref name="adversarial"/> nearest to x, to within θ.</summary>
    private Tensor BinarySearch(Tensor x, Tensor adversarial, double theta, int example, long label)
    {
        double low = 0, high = 1;
        while ((high - low) > theta && QueriesLeft(example) > 0)
        {
            double mid = (low + high) / 2;
            using var blended = (1 - mid) * x + mid * adversarial;
            if (QueryDecisions(blended, example).ne(label).any().item<bool>()) high = mid; else low = mid;
        }
        return (1 - high) * x + high * adversarial;
    }

    private static double L2(Tensor a, Tensor b) => (a - b).norm().item<float>();
}
