using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// APGD, Auto-PGD (Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
/// parameter-free attacks", ICML 2020): PGD whose step size adapts itself, so the only parameters are ε and the iteration
/// budget. On the cross-entropy it is AutoAttack's <c>apgd-ce</c>; on the untargeted DLR loss (<see cref="DlrLoss"/>) its
/// <c>apgd-dlr</c>. The targeted version with the targeted DLR loss is <see cref="ApgdTargeted"/>. L∞ (sign steps) or L2
/// (normalised steps), η₀ = 2ε in both, as in the reference code.
/// </summary>
/// <remarks>
/// <para>
/// From a random point of the ε-ball, each iteration takes a sign-gradient step of size η and adds momentum:
/// z = Π(x⁽ᵏ⁾ + η·sign ∇f(x⁽ᵏ⁾)), x⁽ᵏ⁺¹⁾ = Π(x⁽ᵏ⁾ + α(z − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾)) with α = 0.75
/// (α = 1 at the first iteration), Π the projection onto the ball and [0, 1]. η starts at 2ε.
/// </para>
/// <para>
/// At the checkpoints w_j = ⌈p_j·N⌉ (p₀ = 0, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06); see
/// <see cref="ApgdBase.CheckpointSchedule"/>) η is halved for an example, and its iterate moved back to the best point found so
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
/// <para>
/// Early exit (<see cref="ApgdBase.StopWhenFooled"/>, off by default, on in <see cref="RobustnessProtocol"/> and
/// <see cref="AutoAttack"/>): an example that is misclassified once is returned as broken
/// whatever the later iterations do (the attack keeps a misclassified point), and every example's state (step size,
/// checkpoints, best loss) is its own, so dropping it from the batch at that moment changes no other example and not
/// the reported robust accuracy; it only saves the remaining forward and backward passes. The returned point is then the
/// first misclassified iterate instead of the last.
/// </para>
/// </remarks>
public sealed class Apgd : ApgdBase
{
    /// <summary>Creates APGD (L∞ APGD-CE unless told otherwise).</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="epsilon">Budget in pixel units.</param>
    /// <param name="iterations">N, iterations per run (AutoAttack uses 100).</param>
    /// <param name="restarts">Runs from independent random starts; later runs attack only the examples not fooled yet.</param>
    /// <param name="seed">Seed of the random starts (null: TorchSharp's global generator); each example has its own stream.</param>
    /// <param name="norm">L∞ or L2.</param>
    /// <param name="loss">Cross-entropy (APGD-CE) or untargeted DLR (APGD-DLR).</param>
    public Apgd(nn.Module<Tensor, Tensor> model, double epsilon, int iterations = 100, int restarts = 1, int? seed = 0,
                Norm norm = Norm.LInf, ApgdLoss loss = ApgdLoss.CrossEntropy)
        : base(model, epsilon, iterations, restarts, seed, norm,
               $"APGD-{(loss == ApgdLoss.Dlr ? "DLR" : "CE")}-{iterations}{(restarts > 1 ? $"×{restarts}" : "")} {NormName(norm)} ε={epsilon:G3}")
    {
        if (!Enum.IsDefined(loss)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss; use ApgdLoss.CrossEntropy or ApgdLoss.Dlr.");
        Loss = loss;
    }

    /// <summary>The maximised loss.</summary>
    public ApgdLoss Loss { get; }

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        if (targeted && Loss == ApgdLoss.Dlr)
            throw new NotSupportedException($"{Name}: the untargeted DLR loss has no targeted form here; use ApgdTargeted (targeted DLR).");
        Func<Tensor, Tensor, Tensor?, Tensor> loss = Loss == ApgdLoss.Dlr
            ? (logits, y, _) => DlrLoss.Untargeted(logits, y)
            : (logits, y, _) => ObjectivePerExample(logits, y, targeted);
        if (Restarts == 1) return SingleRun(images, labels, null, ExampleIds, 0, loss, targeted);
        return StrongestOf(images, labels, targeted, Restarts, (x, y, ids, run) => SingleRun(x, y, null, ids, run, loss, targeted));
    }
}

/// <summary>
/// Shared machinery of <see cref="Apgd"/> and <see cref="ApgdTargeted"/>: one APGD run (Croce &amp; Hein 2020, Algorithm 1)
/// on any per-example loss, with per-example early exit. See <see cref="Apgd"/> for the schedule.
/// </summary>
public abstract class ApgdBase : Attack
{
    /// <summary>Momentum α.</summary>
    public const double Momentum = 0.75;

    /// <summary>ρ: the fraction of loss-increasing steps below which the step size is halved.</summary>
    public const double Rho = 0.75;

    /// <summary>The initial step size as a multiple of ε.</summary>
    public const double InitialStepFactor = 2.0;

    /// <summary>Checks and stores the parameters common to every APGD.</summary>
    protected ApgdBase(nn.Module<Tensor, Tensor> model, double epsilon, int iterations, int restarts, int? seed, Norm norm, string name)
        : base(model, name)
    {
        if (!Enum.IsDefined(norm)) throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        Epsilon = Guard.Epsilon(epsilon);
        Iterations = Guard.AtLeast(iterations, 1, nameof(iterations));
        Restarts = Guard.AtLeast(restarts, 1, nameof(restarts));
        Seed = seed;
        Norm = norm;
        Checkpoints = CheckpointSchedule(iterations);
    }

    /// <summary>The budget.</summary>
    public double Epsilon { get; }

    /// <summary>Threat model.</summary>
    public Norm Norm { get; }

    /// <summary>Iterations per run.</summary>
    public int Iterations { get; }

    /// <summary>Number of runs.</summary>
    public int Restarts { get; }

    /// <summary>Seed of the random starts.</summary>
    public int? Seed { get; }

    /// <summary>
    /// Stop iterating on an example as soon as it is misclassified (default false). It cannot change which examples are
    /// broken (see <see cref="Apgd"/>), only which misclassified point is returned (the first instead of the last) and
    /// how much work is done; false iterates every example to the end, as the reference code does.
    /// </summary>
    public bool StopWhenFooled { get; init; }

    /// <summary>The iterations after which the step size is checked (<see cref="ApgdBase.CheckpointSchedule"/> of <see cref="Iterations"/>).</summary>
    public IReadOnlyList<int> Checkpoints { get; }

    /// <summary>
    /// The checkpoints w_j = ⌈p_j·N⌉, j ≥ 1, with p₀ = 0, p₁ = 0.22 and p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06),
    /// for every p_j ≤ 1, without repetitions (for N = 100: 22, 41, 57, 70, 80, 87, 93, 99 — the reference code's
    /// n_iter_2 = 0.22·N, size_decr = 0.03·N, n_iter_min = 0.06·N give the same). Computed in exact hundredths, so no
    /// rounding error moves a checkpoint.
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

    /// <summary>"L∞" or "L2".</summary>
    protected static string NormName(Norm norm) => norm == Norm.LInf ? "L∞" : "L2";

    /// <summary>
    /// One APGD run from a random start (stream <paramref name="stream"/> of each example's generator). Maximises
    /// <paramref name="loss"/>(logits, labels, targets) per example; an example is fooled when it is classified as its
    /// label (<paramref name="targetedGoal"/>) or as anything else. Returns a fooled point where one was met, else the
    /// point of highest loss.
    /// </summary>
    protected Tensor SingleRun(Tensor images, Tensor labels, Tensor? targets, IReadOnlyList<long> ids, int stream,
                               Func<Tensor, Tensor, Tensor?, Tensor> loss, bool targetedGoal)
    {
        var result = images.clone();
        var start = ClampToInputRange(images + DrawRandomStart(images, Epsilon, Norm, ids, Seed, stream));
        var (startLoss, startGradient, startSucceeded) = Probe(start, labels, targets, loss, targetedGoal);
        long n = images.shape[0];

        // Per-example state, one row per example still attacked; rows maps them back to the batch.
        var s = new State
        {
            Rows = arange(n, device: images.device),
            Clean = images, Labels = labels, Targets = targets,
            Current = start.clone(), Previous = start.clone(), Gradient = startGradient.clone(),
            Best = start.clone(), BestLoss = startLoss.clone(), BestGradient = startGradient.clone(),
            Fooled = startSucceeded.clone(), FooledPoint = where(PerExample(startSucceeded, images), start, images),
            LastLoss = startLoss.clone(), Increases = zeros(n, dtype: ScalarType.Int32, device: images.device),
            StepSize = full(n, InitialStepFactor * Epsilon, dtype: images.dtype, device: images.device),
            ReducedAtLastCheck = ones(n, dtype: ScalarType.Bool, device: images.device), BestLossAtLastCheck = startLoss.clone(),
        };
        if (StopWhenFooled) s = Retire(s, result);
        int nextCheckpoint = 0;

        using var noGrad = no_grad();
        for (int i = 0; i < Iterations && s.Rows.shape[0] > 0; i++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            double alpha = i == 0 ? 1.0 : Momentum;
            var z = Perturbations.ProjectOntoBall(s.Clean, s.Current + PerExample(s.StepSize, s.Clean) * Perturbations.SteepestAscent(s.Gradient, Norm),
                                                  Epsilon, Norm, InputMin, InputMax);
            var next = Perturbations.ProjectOntoBall(s.Clean, s.Current + alpha * (z - s.Current) + (1 - alpha) * (s.Current - s.Previous),
                                                     Epsilon, Norm, InputMin, InputMax);
            s.Previous.copy_(s.Current);
            s.Current.copy_(next);

            var (lossValue, newGradient, succeeded) = Probe(s.Current, s.Labels, s.Targets, loss, targetedGoal);
            s.Gradient.copy_(newGradient);
            s.FooledPoint.copy_(where(PerExample(succeeded, s.Clean), s.Current, s.FooledPoint));
            s.Fooled.bitwise_or_(succeeded);
            s.Increases.add_(lossValue.gt(s.LastLoss).to_type(ScalarType.Int32));
            s.LastLoss.copy_(lossValue);
            var improved = lossValue.gt(s.BestLoss);
            s.Best.copy_(where(PerExample(improved, s.Clean), s.Current, s.Best));
            s.BestGradient.copy_(where(PerExample(improved, s.Clean), s.Gradient, s.BestGradient));
            s.BestLoss.copy_(where(improved, lossValue, s.BestLoss));

            if (nextCheckpoint < Checkpoints.Count && i + 1 == Checkpoints[nextCheckpoint])
            {
                int interval = Checkpoints[nextCheckpoint] - (nextCheckpoint == 0 ? 0 : Checkpoints[nextCheckpoint - 1]);
                var tooFewIncreases = s.Increases.to_type(ScalarType.Float64).lt(Rho * interval);          // condition 1
                var stalled = s.ReducedAtLastCheck.logical_not() & s.BestLoss.le(s.BestLossAtLastCheck);   // condition 2
                var halve = tooFewIncreases | stalled;
                s.ReducedAtLastCheck.copy_(halve);
                s.BestLossAtLastCheck.copy_(s.BestLoss);
                s.StepSize.copy_(where(halve, s.StepSize / 2, s.StepSize));
                s.Current.copy_(where(PerExample(halve, s.Clean), s.Best, s.Current));
                s.Gradient.copy_(where(PerExample(halve, s.Clean), s.BestGradient, s.Gradient));
                s.Increases.zero_();
                nextCheckpoint++;
            }
            if (StopWhenFooled && succeeded.any().item<bool>())
            {
                var old = s;
                s = Retire(s, result).MoveToOuter(scope);
                // The retired state's rows are copied; free them now rather than at the end of the attack.
                if (!ReferenceEquals(old, s)) old.DisposeExcept(images, labels, targets);
            }
        }
        if (s.Rows.shape[0] > 0)
            result.index_copy_(0, s.Rows, where(PerExample(s.Fooled, s.Clean), s.FooledPoint, s.Best));
        return result;
    }

    /// <summary>Writes the fooled rows' points into <paramref name="result"/> and returns the state of the others only.</summary>
    private static State Retire(State s, Tensor result)
    {
        if (!s.Fooled.any().item<bool>()) return s;
        var fooled = nonzero(s.Fooled).squeeze(1);
        result.index_copy_(0, s.Rows.index_select(0, fooled), s.FooledPoint.index_select(0, fooled));
        var keep = nonzero(s.Fooled.logical_not()).squeeze(1);
        Tensor K(Tensor t) => t.index_select(0, keep);
        return new State
        {
            Rows = K(s.Rows), Clean = K(s.Clean), Labels = K(s.Labels), Targets = s.Targets is null ? null : K(s.Targets),
            Current = K(s.Current), Previous = K(s.Previous), Gradient = K(s.Gradient), Best = K(s.Best), BestLoss = K(s.BestLoss),
            BestGradient = K(s.BestGradient), Fooled = K(s.Fooled), FooledPoint = K(s.FooledPoint), LastLoss = K(s.LastLoss),
            Increases = K(s.Increases), StepSize = K(s.StepSize), ReducedAtLastCheck = K(s.ReducedAtLastCheck),
            BestLossAtLastCheck = K(s.BestLossAtLastCheck),
        };
    }

    /// <summary>Per-example loss, the gradient of their sum, and which examples the attack has reached its goal on.</summary>
    private (Tensor Loss, Tensor Gradient, Tensor Succeeded) Probe(Tensor x, Tensor labels, Tensor? targets,
                                                                  Func<Tensor, Tensor, Tensor?, Tensor> loss, bool targetedGoal)
    {
        Tensor? logits = null;
        var gradient = InputGradient(x, output =>
        {
            logits = output;
            return loss(output, labels, targets).sum();
        });
        var detached = logits!.detach();
        return (loss(detached, labels, targets), gradient, Succeeded(detached, labels, targetedGoal));
    }

    private static Tensor PerExample(Tensor perExample, Tensor like) => Perturbations.ViewPerExample(perExample, like);

    /// <summary>The per-example state of a run, one row per example still attacked.</summary>
    private sealed class State
    {
        public required Tensor Rows, Clean, Labels, Current, Previous, Gradient, Best, BestLoss, BestGradient, Fooled, FooledPoint,
            LastLoss, Increases, StepSize, ReducedAtLastCheck, BestLossAtLastCheck;
        public Tensor? Targets;

        public State MoveToOuter(DisposeScope scope)
        {
            foreach (var t in new[] { Rows, Clean, Labels, Current, Previous, Gradient, Best, BestLoss, BestGradient, Fooled, FooledPoint,
                                      LastLoss, Increases, StepSize, ReducedAtLastCheck, BestLossAtLastCheck })
                scope.MoveToOuter(t);
            if (Targets is not null) scope.MoveToOuter(Targets);
            return this;
        }

        public void DisposeExcept(params Tensor?[] keep)
        {
            foreach (var t in new[] { Rows, Clean, Labels, Current, Previous, Gradient, Best, BestLoss, BestGradient, Fooled, FooledPoint,
                                      LastLoss, Increases, StepSize, ReducedAtLastCheck, BestLossAtLastCheck, Targets })
                if (t is not null && !keep.Any(k => ReferenceEquals(k, t))) t.Dispose();
        }
    }
}
