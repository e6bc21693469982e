using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// AutoAttack, the field's reference robustness evaluation (Croce &amp; Hein, "Reliable evaluation of adversarial
/// robustness with an ensemble of diverse parameter-free attacks", ICML 2020; RobustBench reports it for every model),
/// version "standard": APGD-CE (100 iterations) → APGD-T (targeted DLR loss, 9 targets × 100 iterations) → FAB-T
/// (9 targets × 100 iterations) → Square (5 000 queries, L∞ only), counted per point (<see cref="WorstCaseReport"/>):
/// a point is robust only if all four fail on it, and each attack runs only on the points the earlier ones did not break.
/// </summary>
/// <remarks>
/// The four attacks are diverse on purpose: two white-box losses (cross-entropy and the scale-invariant DLR), a
/// minimal-perturbation attack, and a gradient-free one. A model whose gradients mislead (gradient masking) survives the
/// first three for the wrong reason, and Square, which never looks at a gradient, finds what they miss.
/// Under L2 the standard version runs APGD-CE, APGD-T and FAB-T; the course has no L2 Square attack (the reference's
/// uses a different window update), so the L2 ensemble is three attacks and says so in <see cref="Attacks"/>.
/// Parameters as in the reference implementation (github.com/fra31/auto-attack, <c>set_version('standard')</c>):
/// one restart each, seed 0. Every attack stops working on a point once it is broken, which changes no outcome.
/// Version "custom" runs a subset of the four in the same order, as the reference's <c>attacks_to_run</c> does: e.g.
/// APGD-CE alone, cheap enough for a whole test set, where the full ensemble only fits a sample.
/// </remarks>
public sealed class AutoAttack
{
    /// <summary>The version this class implements.</summary>
    public const string StandardVersion = "standard";

    /// <summary>The version that runs only the attacks named in <c>attacksToRun</c>.</summary>
    public const string CustomVersion = "custom";

    /// <summary>The names of the standard version's attacks, in the order they run.</summary>
    public static IReadOnlyList<string> AttackNames { get; } = ["apgd-ce", "apgd-t", "fab-t", "square"];

    /// <summary>Creates the ensemble for <paramref name="model"/>.</summary>
    /// <param name="model">The attacked classifier (at least 4 classes, for APGD-T's loss).</param>
    /// <param name="epsilon">Budget in pixel units.</param>
    /// <param name="norm">L∞ or L2.</param>
    /// <param name="version">"standard", or "custom" with <paramref name="attacksToRun"/>.</param>
    /// <param name="seed">Seed of every random start and of Square's search.</param>
    /// <param name="attacksToRun">With version "custom": which of <see cref="AttackNames"/> to run (they run in the standard order).</param>
    /// <param name="stopWhenFooled">
    /// Whether APGD-CE, APGD-T and FAB-T stop working on a point as soon as it is misclassified (the reference's
    /// behaviour, and the default). False makes them run every iteration on every point they are given — only useful to
    /// measure what the early stops save (the early-exit benchmark, which also reports whether the per-point outcome
    /// stays the same).
    /// </param>
    public AutoAttack(nn.Module<Tensor, Tensor> model, double epsilon, Norm norm = Norm.LInf, string version = StandardVersion, int seed = 0,
                      IReadOnlyCollection<string>? attacksToRun = null, bool stopWhenFooled = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Enum.IsDefined(norm)) throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        string[] names = version switch
        {
            StandardVersion when attacksToRun is null => [.. AttackNames],
            StandardVersion => throw new ArgumentException(
                $"Version \"{StandardVersion}\" runs all four attacks; give attacksToRun only with version \"{CustomVersion}\".", nameof(attacksToRun)),
            CustomVersion => CustomAttacks(attacksToRun, norm),
            _ => throw new ArgumentException($"AutoAttack version '{version}' is not implemented; use \"{StandardVersion}\" or \"{CustomVersion}\".", nameof(version)),
        };
        Model = model;
        Epsilon = Guard.Epsilon(epsilon);
        Norm = norm;
        AttacksToRun = norm == Norm.LInf ? names : names.Where(n => n != "square").ToArray();   // no L2 Square (see the remarks)
        Version = version == StandardVersion ? version : $"{CustomVersion}: {string.Join(", ", names)}";
        Seed = seed;
        var attacks = new List<Attack>();
        foreach (string name in AttacksToRun)
        {
            attacks.Add(name switch
            {
                "apgd-ce" => new Apgd(model, epsilon, iterations: 100, restarts: 1, seed: seed, norm: norm) { StopWhenFooled = stopWhenFooled },
                "apgd-t" => new ApgdTargeted(model, epsilon, iterations: 100, targetClasses: 9, restarts: 1, seed: seed, norm: norm) { StopWhenFooled = stopWhenFooled },
                "fab-t" => new FabTargeted(model, epsilon, norm, iterations: 100, targetClasses: 9, restarts: 1, seed: seed) { StopWhenFooled = stopWhenFooled },
                _ => new SquareAttack(model, epsilon, maxQueries: 5000, initialFraction: 0.8, seed: seed) { RescaleSchedule = false },
            });
        }
        Attacks = attacks;
    }

    /// <summary>Checks a custom version's attack names and puts them in the standard order.</summary>
    private static string[] CustomAttacks(IReadOnlyCollection<string>? attacksToRun, Norm norm)
    {
        if (attacksToRun is null || attacksToRun.Count == 0)
            throw new ArgumentException($"Version \"{CustomVersion}\" needs the attacks to run: some of {string.Join(", ", AttackNames)}.", nameof(attacksToRun));
        var unknown = attacksToRun.Where(a => !AttackNames.Contains(a)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown AutoAttack attack '{unknown[0]}'; the attacks are {string.Join(", ", AttackNames)}.", nameof(attacksToRun));
        if (norm != Norm.LInf && attacksToRun.Contains("square"))
            throw new ArgumentException("Square runs only under L∞ here: for L2 choose among apgd-ce, apgd-t and fab-t.", nameof(attacksToRun));
        return AttackNames.Where(attacksToRun.Contains).ToArray();
    }

    /// <summary>The attacked classifier.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Budget.</summary>
    public double Epsilon { get; }

    /// <summary>Threat model.</summary>
    public Norm Norm { get; }

    /// <summary>"standard", or "custom: " followed by the attacks it runs (e.g. "custom: apgd-ce").</summary>
    public string Version { get; }

    /// <summary>Seed.</summary>
    public int Seed { get; }

    /// <summary>The names (from <see cref="AttackNames"/>) of the attacks this ensemble runs, in order.</summary>
    public IReadOnlyList<string> AttacksToRun { get; }

    /// <summary>The attacks in the order they run.</summary>
    public IReadOnlyList<Attack> Attacks { get; }

    /// <summary>Runs the ensemble on <paramref name="data"/> with per-point accounting.</summary>
    /// <param name="data">The points.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="batchSize">Points per batch.</param>
    /// <param name="earlyExit">Attack only points no earlier attack broke (the standard); false runs every attack on every point.</param>
    /// <param name="log">Progress (default: none).</param>
    /// <param name="firstId">Id of the first point, for evaluating a data set in parts (see <see cref="WorstCaseEvaluator.Evaluate"/>).</param>
    public WorstCaseReport Evaluate(ImageDataset data, Device? device = null, int batchSize = 500, bool earlyExit = true, TextWriter? log = null,
                                    long firstId = 0) =>
        WorstCaseEvaluator.Evaluate(Model, data, Attacks, Norm, Epsilon, device, batchSize, earlyExit, $"AutoAttack ({Version})", log, firstId);
}
