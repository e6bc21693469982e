using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Projected Gradient Descent (Madry et al. 2018): from a random point of the ε-ball, repeat
/// x ← Π_ball(x + α · steepest-ascent(∇ₓ L)), under L∞ (sign steps) or L2 (normalised steps).
/// With several restarts it keeps, per example, the strongest result: a successful one first, then the
/// highest loss; restarts after the first run only on the examples not fooled yet. One step of size ε with no random start is exactly FGSM (L∞).
/// </summary>
public class Pgd : Attack
{
    /// <summary>Creates PGD.</summary>
    /// <param name="model">The attacked classifier.</param>
    /// <param name="epsilon">Budget in <paramref name="norm"/>, pixel units.</param>
    /// <param name="stepSize">α; default 2.5·ε/steps (Madry et al.'s rule of thumb).</param>
    /// <param name="steps">Iterations.</param>
    /// <param name="norm">L∞ or L2.</param>
    /// <param name="randomStart">Start at a random point of the ball.</param>
    /// <param name="restarts">Independent runs; the strongest per example is kept.</param>
    /// <param name="seed">Seed of the random starts (null: TorchSharp's global generator); with a seed every example draws
    /// its start from a stream of its own (<see cref="ExampleRandom"/>).</param>
    public Pgd(nn.Module<Tensor, Tensor> model, double epsilon, double? stepSize = null, int steps = 20,
               Norm norm = Norm.LInf, bool randomStart = true, int restarts = 1, int? seed = null)
        : this(model, epsilon, stepSize, steps, norm, randomStart, restarts, seed, "PGD")
    {
    }

    /// <summary>For subclasses that are PGD under another name (BIM).</summary>
    protected Pgd(nn.Module<Tensor, Tensor> model, double epsilon, double? stepSize, int steps, Norm norm,
                  bool randomStart, int restarts, int? seed, string family)
        : base(model, Describe(family, epsilon, steps, norm, restarts))
    {
        if (!Enum.IsDefined(norm)) throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        Epsilon = Guard.Epsilon(epsilon);
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        StepSize = stepSize is { } alpha ? Guard.NonNegative(alpha, nameof(stepSize)) : 2.5 * epsilon / steps;
        Norm = norm;
        RandomStart = randomStart;
        Restarts = Guard.AtLeast(restarts, 1, nameof(restarts));
        Seed = seed;
    }

    /// <summary>Budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>Step size α.</summary>
    public double StepSize { get; }

    /// <summary>Iterations per run.</summary>
    public int Steps { get; }

    /// <summary>Threat model.</summary>
    public Norm Norm { get; }

    /// <summary>Whether each run starts at a random point of the ball.</summary>
    public bool RandomStart { get; }

    /// <summary>Number of runs.</summary>
    public int Restarts { get; }

    /// <summary>Seed of the random starts.</summary>
    public int? Seed { get; }

    /// <summary>
    /// Called after every step (null: nothing is called), e.g. to chart the loss along the iterations without running
    /// the attack once per number of steps. The tensors of <see cref="PgdStep"/> are only valid during the call.
    /// </summary>
    public Action<PgdStep>? OnStep { get; init; }

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
    {
        if (Restarts == 1) return SingleRun(images, labels, targeted, ExampleIds, 0);
        return StrongestOf(images, labels, targeted, Restarts, (x, y, ids, run) => SingleRun(x, y, targeted, ids, run));
    }

    private Tensor SingleRun(Tensor images, Tensor labels, bool targeted, IReadOnlyList<long> ids, int run)
    {
        // Each example's start comes from its own stream (restart = stream), so results do not depend on the batch.
        var delta = RandomStart ? DrawRandomStart(images, Epsilon, Norm, ids, Seed, run) : zeros_like(images);
        var adversarial = ClampToInputRange(images + delta);
        for (int step = 0; step < Steps; step++)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            var gradient = InputGradient(adversarial, labels, targeted);
            var moved = adversarial + StepSize * Perturbations.SteepestAscent(gradient, Norm);
            var next = Perturbations.ProjectOntoBall(images, moved, Epsilon, Norm, InputMin, InputMax);
            OnStep?.Invoke(new PgdStep(run, step + 1, images, next, labels));
            adversarial = scope.MoveToOuter(next);
        }
        return adversarial;
    }

    private static string Describe(string family, double epsilon, int steps, Norm norm, int restarts) =>
        $"{family}-{steps}{(restarts > 1 ? $"×{restarts}" : "")} {(norm == Norm.LInf ? "L∞" : "L2")} ε={epsilon:G3}";
}

/// <summary>What <see cref="Pgd.OnStep"/> receives after each step. The tensors belong to the attack: read them during the call only.</summary>
/// <param name="Run">0-based run (restart).</param>
/// <param name="Step">1-based step within the run.</param>
/// <param name="Images">The clean images attacked in this run (after the first run only those not fooled yet).</param>
/// <param name="Adversarial">The adversarial images after this step, same rows as <paramref name="Images"/>.</param>
/// <param name="Labels">Their labels (targets for a targeted attack).</param>
public sealed record PgdStep(int Run, int Step, Tensor Images, Tensor Adversarial, Tensor Labels);
