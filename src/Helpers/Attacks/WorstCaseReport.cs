using System.Globalization;
using System.Text;
using ModelSecurity.Statistics;

namespace ModelSecurity.Attacks;

/// <summary>One attack of a <see cref="WorstCaseReport"/>.</summary>
/// <param name="Attack">The attack's name.</param>
/// <param name="Attacked">Points it was run on (with early exit: only those no earlier attack broke).</param>
/// <param name="Broken">Points it broke that no earlier attack had broken.</param>
/// <param name="RobustAfter">Points still robust after it: correctly classified and broken by no attack so far.</param>
/// <param name="Seconds">Its wall-clock time.</param>
/// <param name="OwnAccuracy">Accuracy under this attack alone (only without early exit, where it ran on every point; else null).</param>
public sealed record WorstCaseStage(string Attack, int Attacked, int Broken, int RobustAfter, double Seconds, double? OwnAccuracy);

/// <summary>
/// Robust accuracy as the per-point worst case over several attacks: a point counts as robust only if it is classified
/// correctly and every attack failed on it (Croce &amp; Hein 2020, as AutoAttack and RobustBench report it). The minimum
/// of the attacks' separate accuracies overstates robustness whenever the attacks break different points.
/// </summary>
/// <param name="Name">What was run, e.g. "AutoAttack (standard)".</param>
/// <param name="Norm">Threat model.</param>
/// <param name="Epsilon">Budget.</param>
/// <param name="Count">Points evaluated.</param>
/// <param name="CleanCorrect">Points classified correctly without attack.</param>
/// <param name="Stages">The attacks in order, with cumulative robust counts.</param>
/// <param name="BrokenBy">
/// Per point: <see cref="Misclassified"/> if wrong without attack, <see cref="Robust"/> if no attack broke it, otherwise
/// the index in <see cref="Stages"/> of the first attack that broke it.
/// </param>
/// <param name="EarlyExit">Whether each attack ran only on the points no earlier attack broke.</param>
/// <param name="Seconds">Total wall-clock time.</param>
public sealed record WorstCaseReport(string Name, Norm Norm, double Epsilon, int Count, int CleanCorrect,
                                     IReadOnlyList<WorstCaseStage> Stages, IReadOnlyList<int> BrokenBy, bool EarlyExit, double Seconds)
{
    /// <summary><see cref="BrokenBy"/> value of a point misclassified without attack.</summary>
    public const int Misclassified = -2;

    /// <summary><see cref="BrokenBy"/> value of a point no attack broke.</summary>
    public const int Robust = -1;

    /// <summary>Points robust against every attack.</summary>
    public int RobustCount => Stages.Count == 0 ? CleanCorrect : Stages[^1].RobustAfter;

    /// <summary>Accuracy without attack.</summary>
    public double CleanAccuracy => Count == 0 ? 0 : (double)CleanCorrect / Count;

    /// <summary>Per-point worst-case robust accuracy: the headline number.</summary>
    public double RobustAccuracy => Count == 0 ? 0 : (double)RobustCount / Count;

    /// <summary>95 % Wilson interval of the clean accuracy.</summary>
    public Interval CleanInterval => Proportion.Wilson(CleanCorrect, Math.Max(1, Count));

    /// <summary>95 % Wilson interval of the robust accuracy.</summary>
    public Interval RobustInterval => Proportion.Wilson(RobustCount, Math.Max(1, Count));

    /// <summary>
    /// One report for consecutive parts of a data set evaluated separately (e.g. a long AutoAttack run saved after every
    /// part so that it can resume): counts and seconds add up, per-point results are concatenated in order.
    /// </summary>
    /// <exception cref="ArgumentException">No parts, or parts of different evaluations (name, norm, ε, attacks or early exit differ).</exception>
    public static WorstCaseReport Combine(IReadOnlyList<WorstCaseReport> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("Combine needs at least one report.", nameof(parts));
        var first = parts[0];
        foreach (var part in parts)
            if (part.Name != first.Name || part.Norm != first.Norm || part.Epsilon != first.Epsilon || part.EarlyExit != first.EarlyExit
                || !part.Stages.Select(s => s.Attack).SequenceEqual(first.Stages.Select(s => s.Attack)))
                throw new ArgumentException(
                    $"Only parts of one evaluation can be combined: '{part.Name}' ({part.Norm}, ε = {part.Epsilon}, attacks " +
                    $"{string.Join(", ", part.Stages.Select(s => s.Attack))}) differs from '{first.Name}' ({first.Norm}, ε = {first.Epsilon}, attacks " +
                    $"{string.Join(", ", first.Stages.Select(s => s.Attack))}).", nameof(parts));
        int count = parts.Sum(p => p.Count);
        var stages = first.Stages.Select((stage, a) => new WorstCaseStage(
            stage.Attack,
            parts.Sum(p => p.Stages[a].Attacked),
            parts.Sum(p => p.Stages[a].Broken),
            parts.Sum(p => p.Stages[a].RobustAfter),
            parts.Sum(p => p.Stages[a].Seconds),
            parts.Any(p => p.Stages[a].OwnAccuracy is null) || count == 0
                ? null
                : parts.Sum(p => p.Stages[a].OwnAccuracy!.Value * p.Count) / count)).ToList();
        return new WorstCaseReport(first.Name, first.Norm, first.Epsilon, count, parts.Sum(p => p.CleanCorrect), stages,
                                   parts.SelectMany(p => p.BrokenBy).ToArray(), first.EarlyExit, parts.Sum(p => p.Seconds));
    }

    /// <summary>The standard table as Markdown: clean, then each attack with the cumulative robust accuracy and how many points it broke.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(c, $"{Name}, {(Norm == Norm.LInf ? "L∞" : "L2")} ε = {Epsilon:0.####}, {Count} images{(EarlyExit ? ", early exit" : "")}"));
        text.AppendLine();
        text.AppendLine("| stage | broken here | robust accuracy (cumulative) | 95 % interval (Wilson) | seconds |");
        text.AppendLine("|---|---:|---:|---|---:|");
        text.AppendLine(string.Create(c, $"| clean (no attack) | {Count - CleanCorrect} misclassified | {CleanAccuracy * 100:F2}% | {CleanInterval} | |"));
        foreach (var stage in Stages)
            text.AppendLine(string.Create(c, $"| {stage.Attack} | {stage.Broken} of {stage.Attacked} attacked | {(Count == 0 ? 0 : 100.0 * stage.RobustAfter / Count):F2}% | {Proportion.Wilson(stage.RobustAfter, Math.Max(1, Count))} | {stage.Seconds:F1} |"));
        text.Append(string.Create(c, $"\nRobust accuracy (per-point worst case over all attacks): {RobustAccuracy * 100:F2}% {RobustInterval}; clean {CleanAccuracy * 100:F2}% {CleanInterval}; {Seconds:F1} s."));
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToMarkdown();
}
