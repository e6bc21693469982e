using System.Diagnostics;
using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// The course's evaluation protocol for a (claimed) robust model at an L∞ budget ε, used for every defended model:
/// clean accuracy, FGSM, PGD-k with restarts and APGD-CE, in one table counted per point, with early exit
/// (<see cref="Evaluate"/>, through <see cref="WorstCaseEvaluator"/>); and sanity checks that
/// catch the usual signs of gradient masking (<see cref="CheckGradientMasking"/>; Carlini et al. 2019, "On Evaluating
/// Adversarial Robustness", and Athalye et al. 2018).
/// </summary>
public sealed class RobustnessProtocol
{
    /// <summary>Creates the protocol.</summary>
    /// <param name="epsilon">L∞ budget, pixel units.</param>
    /// <param name="pgdSteps">k, PGD iterations (step 2.5·ε/k, random start).</param>
    /// <param name="pgdRestarts">PGD runs; each example keeps its strongest.</param>
    /// <param name="apgdIterations">APGD-CE iterations (AutoAttack uses 100).</param>
    /// <param name="apgdRestarts">APGD-CE runs.</param>
    /// <param name="seed">Seed of every random start, so that a protocol run can be repeated exactly.</param>
    public RobustnessProtocol(double epsilon, int pgdSteps = 20, int pgdRestarts = 5, int apgdIterations = 100, int apgdRestarts = 1, int seed = 0)
    {
        Epsilon = Guard.Epsilon(epsilon);
        PgdSteps = Guard.AtLeast(pgdSteps, 1, nameof(pgdSteps));
        PgdRestarts = Guard.AtLeast(pgdRestarts, 1, nameof(pgdRestarts));
        ApgdIterations = Guard.AtLeast(apgdIterations, 1, nameof(apgdIterations));
        ApgdRestarts = Guard.AtLeast(apgdRestarts, 1, nameof(apgdRestarts));
        Seed = seed;
    }

    /// <summary>L∞ budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>PGD iterations k.</summary>
    public int PgdSteps { get; }

    /// <summary>PGD runs.</summary>
    public int PgdRestarts { get; }

    /// <summary>APGD-CE iterations.</summary>
    public int ApgdIterations { get; }

    /// <summary>APGD-CE runs.</summary>
    public int ApgdRestarts { get; }

    /// <summary>Seed of the random starts.</summary>
    public int Seed { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Slack of the sanity checks' comparisons, as a fraction of accuracy (default 0.01 = 1 point).</summary>
    public double Tolerance
    {
        get => _tolerance;
        init => _tolerance = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Tolerance), value, "Tolerance is a fraction of accuracy in [0, 1), e.g. 0.01.");
    }

    /// <summary>Iterations of the unbounded (ε = 1) attack of the sanity checks.</summary>
    public int UnboundedSteps
    {
        get => _unboundedSteps;
        init => _unboundedSteps = Guard.AtLeast(value, 1, nameof(UnboundedSteps));
    }

    private double _tolerance = 0.01;
    private int _unboundedSteps = 100;

    /// <summary>
    /// Attack only the points no earlier attack broke, and stop APGD on a point once it is misclassified (default true).
    /// The per-point outcome, and so every number of the table, is the same as without it (the attacks draw their random
    /// numbers per point); false runs every attack on every point to the end, as before, which also gives each attack's
    /// own accuracy (<see cref="RobustnessRow.OwnAccuracy"/>).
    /// </summary>
    public bool EarlyExit { get; init; } = true;

    /// <summary>
    /// Accuracy of <paramref name="model"/> on <paramref name="data"/>: clean, then under FGSM, PGD-k×restarts and APGD-CE,
    /// counted per point: each attack row holds the accuracy after it, cumulative, and the last one the per-point worst case.
    /// Progress goes to <paramref name="log"/> (default: none).
    /// </summary>
    public RobustnessTable Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, Device? device = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("The evaluation data set is empty.", nameof(data));
        log ??= TextWriter.Null;
        var clock = Stopwatch.StartNew();
        var clean = Evaluator.Evaluate(model, data, device, BatchSize);
        clock.Stop();
        var keys = new[] { "fgsm", "pgd", "apgd" };
        var attacks = new Attack[]
        {
            new Fgsm(model, Epsilon),
            new Pgd(model, Epsilon, steps: PgdSteps, restarts: PgdRestarts, seed: Seed),
            // Stopping APGD on a point once it is misclassified changes no outcome (ApgdBase.StopWhenFooled), only the work.
            new Apgd(model, Epsilon, ApgdIterations, ApgdRestarts, Seed) { StopWhenFooled = EarlyExit },
        };
        var worst = WorstCaseEvaluator.Evaluate(model, data, attacks, Norm.LInf, Epsilon, device, BatchSize, EarlyExit, "robustness protocol", log);
        var rows = new List<RobustnessRow> { new("clean", "none", clean.Accuracy, clock.Elapsed.TotalSeconds) };
        for (int a = 0; a < attacks.Length; a++)
        {
            var stage = worst.Stages[a];
            rows.Add(new RobustnessRow(keys[a], stage.Attack, (double)stage.RobustAfter / data.Count, stage.Seconds, stage.Broken, stage.OwnAccuracy));
        }
        return new RobustnessTable(Epsilon, data.Count, rows, worst);
    }

    /// <summary>
    /// Checks that a gradient-based evaluation of <paramref name="model"/> behaves as a sound one must; a failure is a
    /// sign of gradient masking (gradients that are zero, noisy or saturated, so that attacks fail for the wrong reason):
    /// <list type="number">
    /// <item>an unbounded attack (PGD with ε = 1, <see cref="UnboundedSteps"/> steps) brings accuracy to about 0
    /// (at most <see cref="Tolerance"/>);</item>
    /// <item>more steps never help the model: PGD-4k is at least as strong as PGD-k (same step size and start);</item>
    /// <item>white-box PGD-k is at least as strong as PGD-k crafted on <paramref name="surrogate"/> and transferred
    /// (only when a surrogate is given);</item>
    /// <item>white-box PGD-k is at least as strong as a gradient-free (query-based) attack on the model itself
    /// (only when one is given);</item>
    /// <item>iterative PGD-k is at least as strong as single-step FGSM.</item>
    /// </list>
    /// "At least as strong" allows <see cref="Tolerance"/>.
    /// </summary>
    /// <param name="model">The model under evaluation.</param>
    /// <param name="data">Examples (a few hundred suffice).</param>
    /// <param name="surrogate">An independently trained model of the same task for the transfer check, or null to skip it.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="log">Progress (default: none).</param>
    /// <param name="gradientFree">
    /// A black-box attack on <paramref name="model"/> at the same ε (e.g. <see cref="SquareAttack"/>) for the check
    /// "white-box PGD is at least as strong as an attack that uses no gradients", or null to skip it.
    /// </param>
    public SanityReport CheckGradientMasking(nn.Module<Tensor, Tensor> model, ImageDataset data, nn.Module<Tensor, Tensor>? surrogate = null,
                                             Device? device = null, TextWriter? log = null, QueryAttack? gradientFree = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("The evaluation data set is empty.", nameof(data));
        if (ReferenceEquals(model, surrogate))
            throw new ArgumentException("The surrogate of the transfer check must be another model than the one evaluated.", nameof(surrogate));
        log ??= TextWriter.Null;
        using var progress = Runtime.Progress.Start("gradient-masking checks", 4 + (surrogate is null ? 0 : 1) + (gradientFree is null ? 0 : 1), "attack");
        double Run(Attack attack) => Done(RobustnessEvaluator.Evaluate(model, data, attack, device, BatchSize, attack is Pgd p ? p.Epsilon : Epsilon, log));
        double Done(AttackReport report)
        {
            progress.Advance();
            return report.RobustAccuracy;
        }
        string P(double accuracy) => (accuracy * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
        string tolerance = P(Tolerance);
        string eps = Epsilon.ToString("0.###", CultureInfo.InvariantCulture);
        var checks = new List<SanityCheck>();

        double unbounded = Run(new Pgd(model, 1.0, steps: UnboundedSteps, seed: Seed));
        checks.Add(new SanityCheck("unbounded attack", unbounded <= Tolerance, unbounded <= Tolerance
            ? $"PGD with ε = 1 ({UnboundedSteps} steps) leaves {P(unbounded)} accuracy: given free rein over every pixel, the attack wins, as it must."
            : $"PGD with ε = 1 ({UnboundedSteps} steps) still leaves {P(unbounded)} accuracy (more than {tolerance}). With ε = 1 any image " +
              "can be turned into any other, so a working attack reaches ~0%: the attack's gradients do not lead anywhere (masked gradients)."));

        double stepSize = 2.5 * Epsilon / PgdSteps;
        double fewSteps = Run(new Pgd(model, Epsilon, stepSize, PgdSteps, seed: Seed));
        double manySteps = Run(new Pgd(model, Epsilon, stepSize, 4 * PgdSteps, seed: Seed));
        checks.Add(new SanityCheck("more steps", manySteps <= fewSteps + Tolerance, manySteps <= fewSteps + Tolerance
            ? $"PGD-{4 * PgdSteps} ({P(manySteps)}) is at least as strong as PGD-{PgdSteps} ({P(fewSteps)}) at ε = {eps}."
            : $"PGD-{4 * PgdSteps} leaves {P(manySteps)} accuracy, more than PGD-{PgdSteps}'s {P(fewSteps)} (+{tolerance}): more iterations " +
              "of the same attack should never help the model; its loss surface is noisy or the gradients are unreliable."));

        if (surrogate is not null)
        {
            var transferAttack = new Pgd(surrogate, Epsilon, stepSize, PgdSteps, seed: Seed);
            double transfer = Done(RobustnessEvaluator.EvaluateTransfer(model, data, transferAttack, device, BatchSize, Epsilon, log));
            checks.Add(new SanityCheck("white-box vs transfer", fewSteps <= transfer + Tolerance, fewSteps <= transfer + Tolerance
                ? $"white-box PGD-{PgdSteps} ({P(fewSteps)}) is at least as strong as PGD-{PgdSteps} transferred from the surrogate ({P(transfer)})."
                : $"PGD-{PgdSteps} crafted on another model and transferred leaves {P(transfer)} accuracy, less than white-box PGD-{PgdSteps}'s " +
                  $"{P(fewSteps)} (−{tolerance}): an attack with the model's own gradients should do better than one without them, " +
                  "so those gradients are misleading."));
        }

        if (gradientFree is not null)
        {
            if (!ReferenceEquals(gradientFree.Model, model))
                throw new ArgumentException("The gradient-free attack must attack the evaluated model itself.", nameof(gradientFree));
            double blackBox = Done(RobustnessEvaluator.Evaluate(model, data, gradientFree, device, BatchSize, Epsilon, log));
            checks.Add(new SanityCheck("white-box vs gradient-free", fewSteps <= blackBox + Tolerance, fewSteps <= blackBox + Tolerance
                ? $"white-box PGD-{PgdSteps} ({P(fewSteps)}) is at least as strong as {gradientFree.Name} ({P(blackBox)}), which sees only outputs."
                : $"{gradientFree.Name}, which sees only the model's outputs, leaves {P(blackBox)} accuracy, less than white-box PGD-{PgdSteps}'s " +
                  $"{P(fewSteps)} (−{tolerance}): the gradients mislead the white-box attack."));
        }

        double singleStep = Run(new Fgsm(model, Epsilon));
        checks.Add(new SanityCheck("iterative vs single-step", fewSteps <= singleStep + Tolerance, fewSteps <= singleStep + Tolerance
            ? $"PGD-{PgdSteps} ({P(fewSteps)}) is at least as strong as FGSM ({P(singleStep)})."
            : $"PGD-{PgdSteps} leaves {P(fewSteps)} accuracy, more than single-step FGSM's {P(singleStep)} (+{tolerance}): iterating " +
              "should only help the attacker; the gradient is locally misleading (e.g. saturated or noisy)."));
        return new SanityReport(checks);
    }
}
