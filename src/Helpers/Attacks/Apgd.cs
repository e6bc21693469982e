using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// APGD-CE, Auto-PGD on the cross-entropy (Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an
/// ensemble of diverse parameter-free attacks", ICML 2020; the <c>apgd-ce</c> of AutoAttack). PGD under L∞ whose
/// step size adapts itself, so the only parameters are ε and the iteration budget.
/// </summary>
/// <remarks>
/// <para>
/// From a random point of the ε-ball, each iteration takes a sign-gradient step of size η and adds momentum:
/// z = Π(x⁽ᵏ⁾ + η·sign ∇f(x⁽ᵏ⁾)), x⁽ᵏ⁺¹⁾ = Π(x⁽ᵏ⁾ + α(z − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾)) with α = 0.75
/// (α = 1 at the first iteration), Π the projection onto the ball and [0, 1]. η starts at 2ε.
/// </para>
/// <para>
/// At the checkpoints w_j = ⌈p_j·N⌉ (p₀ = 0, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06); see
/// <see cref="CheckpointSchedule"/>) η is halved for an example, and its iterate moved back to the best point found so
/// far, when (1) fewer than ρ = 0.75 of the iterations since the previous checkpoint increased its loss, or (2) η was not
/// halved at the previous checkpoint and the best loss has not improved since. Per example the attack returns a
/// misclassified point if it met one, otherwise the point of highest loss.
/// </para>
/// <para>
/// Sources: the paper's Algorithm 1 and section 3, and the reference code (github.com/fra31/auto-attack,
/// autoattack/autopgd_base.py). Where the paper leaves details open this class follows the code: the checks happen
/// after w_j iterations, condition 2 is not tested at the first checkpoint, after a restart from the best point the
/// momentum term uses the iterate before the restart, and a misclassified point is kept even if the loss later
/// rises. It differs from the code in two small ways: the random start is uniform in the ball (the code scales a
/// uniform draw so that its largest coordinate is exactly ε), and condition 1 is the paper's strict "fewer than"
/// (the code tests ≤).
/// </para>
/// </remarks>
public sealed class Apgd : Attack
{
    /// <summary>Momentum α.</summary>
    public const double Momentum = 0.75;

    /// <summary>ρ: the fraction of loss-increasing steps below which the step size is halved.</summary>
    public const double Rho = 0.75;

    /// <summary>The initial step size as a multiple of ε.</summary>
    public const double InitialStepFactor = 2.0;

    /// <summary>Creates APGD-CE (L∞).</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="epsilon">L∞ budget in pixel units.</param>
    /// <param name="iterations">N, iterations per run (AutoAttack uses 100).</param>
    /// <param name="restarts">Runs from independent random starts; later runs attack only the examples not fooled yet.</param>
    /// <param name="seed">Seed of the random starts (null: TorchSharp's global generator).</param>
    public Apgd(nn.Module<Tensor, Tensor> model, double epsilon, int iterations = 100, int restarts = 1, int? seed = 0)
        : base(model, $"APGD-CE-{iterations}{(restarts > 1 ? $"×{restarts}" : "")} L∞ ε={epsilon:G3}")
    {
        Epsilon = Guard.Epsilon(epsilon);
        Iterations = Guard.AtLeast(iterations, 1, nameof(iterations));
        Restarts = Guard.AtLeast(restarts, 1, nameof(restarts));
        Seed = seed;
        Checkpoints = CheckpointSchedule(iterations);
    }

    /// <summary>The L∞ budget.</summary>
    public double Epsilon { get; }

    /// <summary>Iterations per run.</summary>
    public int Iterations { get; }

    /// <summary>Number of runs.</summary>
    public int Restarts { get; }

    /// <summary>Seed of the random starts.</summary>
    public int? Seed { get; }

    /// <summary>The iterations after which the step size is checked (<see cref="CheckpointSchedule"/> of <see cref="Iterations"/>).</summary>
    public IReadOnlyList<int> Checkpoints { get; }

    /// <summary>
    /// The checkpoints w_j = ⌈p_j·N⌉, j ≥ 1, with p₀ = 0, p₁ = 0.22 and p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06),
    /// for every p_j ≤ 1, without repetitions (for N = 100: 22, 41, 57, 70, 80, 87, 93, 99). Computed in exact
    /// hundredths, so no rounding error moves a checkpoint.
    /// </summary>
    /// <param name="iterations">N ≥ 1.</param>
    public static IReadOnlyList<int> CheckpointSchedule(int iterations)
    {
        Guard.AtLeast(iterations, 1, nameof(iterations));
        var checkpoints = new List<int>();
        int previous = 0, current = 22; // p in hundredths
        while (current <= 100)
        {
            int w = (int)(((long)current * iterations + 99) / 100); // ⌈current·N/100⌉
            if (w >= 1 && (checkpoints.Count == 0 || w > checkpoints[^1])) checkpoints.Add(w);
            (previous, current) = (current, current + Math.Max(current - previous - 3, 6));
        }
        return checkpoints.AsReadOnly();
    }

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        using var generator = Seed is { } s ? new Generator((ulong)s, images.device) : null;
        return Restarts == 1
            ? SingleRun(images, labels, targeted, generator)
            : StrongestOf(images, labels, targeted, Restarts, (x, y) => SingleRun(x, y, targeted, generator));
    }

    private Tensor SingleRun(Tensor images, Tensor labels, bool targeted, Generator? generator)
    {
        long n = images.shape[0];
        var start = ClampToInputRange(images + Perturbations.RandomStart(images, Epsilon, Norm.LInf, generator));
        var (startLoss, startGradient, startSucceeded) = Probe(start, labels, targeted);

        // State, updated in place so that every iteration's temporaries die with its dispose scope.
        var current = start.clone();
        var previous = start.clone();
        var gradient = startGradient.clone();
        var best = start.clone();
        var bestLoss = startLoss.clone();
        var bestGradient = startGradient.clone();
        var fooled = startSucceeded.clone();
        var fooledPoint = where(PerExample(startSucceeded, images), start, images);
        var lastLoss = startLoss.clone();
        var increases = zeros(n, dtype: ScalarType.Int32, device: images.device);
        var stepSize = full(n, InitialStepFactor * Epsilon, dtype: images.dtype, device: images.device);
        var reducedAtLastCheck = ones(n, dtype: ScalarType.Bool, device: images.device);
        var bestLossAtLastCheck = startLoss.clone();
        int nextCheckpoint = 0;

        using var noGrad = no_grad();
        for (int i = 0; i < Iterations; i++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            double alpha = i == 0 ? 1.0 : Momentum;
            var z = Perturbations.ProjectOntoBall(images, current + PerExample(stepSize, images) * gradient.sign(),
                                                  Epsilon, Norm.LInf, InputMin, InputMax);
            var next = Perturbations.ProjectOntoBall(images, current + alpha * (z - current) + (1 - alpha) * (current - previous),
                                                     Epsilon, Norm.LInf, InputMin, InputMax);
            previous.copy_(current);
            current.copy_(next);

            var (loss, newGradient, succeeded) = Probe(current, labels, targeted);
            gradient.copy_(newGradient);
            fooledPoint.copy_(where(PerExample(succeeded, images), current, fooledPoint));
            fooled.bitwise_or_(succeeded);
            increases.add_(loss.gt(lastLoss).to_type(ScalarType.Int32));
            lastLoss.copy_(loss);
            var improved = loss.gt(bestLoss);
            best.copy_(where(PerExample(improved, images), current, best));
            bestGradient.copy_(where(PerExample(improved, images), gradient, bestGradient));
            bestLoss.copy_(where(improved, loss, bestLoss));

            if (nextCheckpoint < Checkpoints.Count && i + 1 == Checkpoints[nextCheckpoint])
            {
                int interval = Checkpoints[nextCheckpoint] - (nextCheckpoint == 0 ? 0 : Checkpoints[nextCheckpoint - 1]);
                var tooFewIncreases = increases.to_type(ScalarType.Float64).lt(Rho * interval);          // condition 1
                var stalled = reducedAtLastCheck.logical_not() & bestLoss.le(bestLossAtLastCheck);    // condition 2
                var halve = tooFewIncreases | stalled;
                reducedAtLastCheck.copy_(halve);
                bestLossAtLastCheck.copy_(bestLoss);
                stepSize.copy_(where(halve, stepSize / 2, stepSize));
                current.copy_(where(PerExample(halve, images), best, current));
                gradient.copy_(where(PerExample(halve, images), bestGradient, gradient));
                increases.zero_();
                nextCheckpoint++;
            }
        }
        return where(PerExample(fooled, images), fooledPoint, best);
    }

    /// <summary>Per-example loss, the gradient of their sum, and which examples the attack has reached its goal on.</summary>
    private (Tensor Loss, Tensor Gradient, Tensor Succeeded) Probe(Tensor x, Tensor labels, bool targeted)
    {
        Tensor? logits = null;
        var gradient = InputGradient(x, output =>
        {
            logits = output;
            return Objective(output, labels, targeted);
        });
        var detached = logits!.detach();
        return (ObjectivePerExample(detached, labels, targeted), gradient, Succeeded(detached, labels, targeted));
    }

    private static Tensor PerExample(Tensor perExample, Tensor like) => Perturbations.ViewPerExample(perExample, like);
}
