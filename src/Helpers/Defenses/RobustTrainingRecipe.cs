using System.Globalization;
using ModelSecurity.Training;

namespace ModelSecurity.Defenses;

/// <summary>
/// A training recipe for a robust model: the ordinary <see cref="TrainingRecipe"/> (architecture, data, optimizer,
/// schedule, seed) plus the adversarial part — method, L∞ budget, inner attack, TRADES's β, early stopping. The
/// shipped robust checkpoints are made from the instances in <see cref="Recipes"/>.
/// </summary>
public sealed record RobustTrainingRecipe
{
    /// <summary>The methods <see cref="Method"/> may name.</summary>
    public static IReadOnlyList<string> Methods { get; } = Array.AsReadOnly(new[] { "pgd-at", "fast-at", "trades" });

    /// <summary>Architecture, data, optimizer, schedule, epochs and seed.</summary>
    public required TrainingRecipe Training { get; init; }

    /// <summary>"pgd-at" (<see cref="PgdAdversarialTraining"/>), "fast-at" (<see cref="FastAdversarialTraining"/>) or "trades" (<see cref="TradesObjective"/>).</summary>
    public required string Method { get; init; }

    /// <summary>L∞ budget of training, pixel units.</summary>
    public double Epsilon { get; init; } = 0.1;

    /// <summary>Iterations of the inner attack (1 for fast AT).</summary>
    public int AttackSteps { get; init; } = 10;

    /// <summary>Step size of the inner attack.</summary>
    public double StepSize { get; init; } = 0.025;

    /// <summary>TRADES's β (used by "trades" only).</summary>
    public double Beta { get; init; } = 6;

    /// <summary>Stop on a collapse of PGD accuracy on a few training images (<see cref="CatastrophicOverfittingMonitor"/>).</summary>
    public bool EarlyStopping { get; init; }

    /// <summary>Training images the early-stopping check attacks after every epoch.</summary>
    public int EarlyStoppingImages { get; init; } = 512;

    /// <summary>File name of the shipped checkpoint this recipe makes (in <c>data/checkpoints/</c>), if any.</summary>
    public string? CheckpointFile { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field that makes no sense.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Training);
        Training.Validate();
        string name = Training.Name;
        if (!Methods.Contains(Method))
            throw new ArgumentException($"Robust recipe '{name}': Method must be one of {string.Join(", ", Methods)}, not \"{Method}\".");
        if (!(Epsilon > 0 && Epsilon <= 1)) throw new ArgumentException($"Robust recipe '{name}': Epsilon must be in (0, 1], not {Epsilon}.");
        if (AttackSteps < 1) throw new ArgumentException($"Robust recipe '{name}': AttackSteps must be at least 1, not {AttackSteps}.");
        if (Method == "fast-at" && AttackSteps != 1)
            throw new ArgumentException($"Robust recipe '{name}': fast AT takes a single FGSM step, so AttackSteps must be 1, not {AttackSteps}.");
        if (!(StepSize > 0) || double.IsInfinity(StepSize)) throw new ArgumentException($"Robust recipe '{name}': StepSize must be a positive number, not {StepSize}.");
        if (!(Beta >= 0) || double.IsInfinity(Beta)) throw new ArgumentException($"Robust recipe '{name}': Beta must be a number ≥ 0, not {Beta}.");
        if (EarlyStopping && EarlyStoppingImages < 1)
            throw new ArgumentException($"Robust recipe '{name}': EarlyStoppingImages must be at least 1, not {EarlyStoppingImages}.");
    }

    /// <summary>The training objective of <see cref="Method"/> with this recipe's settings.</summary>
    public ITrainingObjective CreateObjective()
    {
        Validate();
        return Method switch
        {
            "pgd-at" => new PgdAdversarialTraining(Epsilon, AttackSteps, StepSize),
            "fast-at" => new FastAdversarialTraining(Epsilon, StepSize),
            _ => new TradesObjective(Epsilon, Beta, AttackSteps, StepSize),
        };
    }

    /// <summary>
    /// The adversarial settings as checkpoint metadata: method, norm, epsilon, attackSteps, stepSize, and beta for TRADES
    /// (numbers in invariant culture).
    /// </summary>
    public IReadOnlyDictionary<string, string> CheckpointExtra()
    {
        var c = CultureInfo.InvariantCulture;
        var extra = new Dictionary<string, string>
        {
            ["method"] = Method,
            ["norm"] = "Linf",
            ["epsilon"] = Epsilon.ToString(c),
            ["attackSteps"] = AttackSteps.ToString(c),
            ["stepSize"] = StepSize.ToString(c),
        };
        if (Method == "trades") extra["beta"] = Beta.ToString(c);
        if (Training.TrainSubset is { } subset) extra["trainSubset"] = subset.ToString(c);
        return extra;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var t = Training;
        string attack = Method == "fast-at" ? $"FGSM with random start, α={StepSize:G3}" : $"{AttackSteps} steps of α={StepSize:G3}";
        string beta = Method == "trades" ? $", β={Beta:G3}" : "";
        string subset = t.TrainSubset is { } n ? $" on {n} images" : "";
        return $"{t.Name}: {Method} ({attack}, L∞ ε={Epsilon:G3}{beta}) of a {t.Architecture} on {t.Dataset}{subset}, " +
               $"{t.Epochs} epochs, batch {t.BatchSize}, {t.Optimizer} lr {t.LearningRate:G3} ({t.Schedule}), seed {t.Seed}" +
               (EarlyStopping ? ", early stopping on a PGD check" : "");
    }
}
