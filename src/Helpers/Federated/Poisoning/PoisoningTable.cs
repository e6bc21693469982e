using System.Globalization;
using System.Text;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>The results of a <see cref="PoisoningExperiment"/>: (attack × aggregator) → clean accuracy and attack success.</summary>
public sealed class PoisoningTable
{
    /// <summary>Wraps the results.</summary>
    public PoisoningTable(IReadOnlyList<PoisoningResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        Results = results.ToArray();
    }

    /// <summary>One result per (attack, aggregator), attacks in the outer order.</summary>
    public IReadOnlyList<PoisoningResult> Results { get; }

    /// <summary>The result of one pair (null if it was not run).</summary>
    public PoisoningResult? Find(string attack, string aggregator) =>
        Results.FirstOrDefault(r => r.Attack == attack && r.Aggregator == aggregator);

    /// <summary>
    /// A Markdown table: one row per attack, for every aggregator its clean accuracy and attack success ("—" when
    /// untargeted; with the no-attack control in parentheses when the baseline ran).
    /// </summary>
    public string ToMarkdown()
    {
        var culture = CultureInfo.InvariantCulture;
        var attacks = Results.Select(r => r.Attack).Distinct().ToList();
        var aggregators = Results.Select(r => r.Aggregator).Distinct().ToList();
        var text = new StringBuilder();
        text.Append("| attack |");
        foreach (var a in aggregators) text.Append(culture, $" {a}: clean acc | {a}: attack success |");
        text.AppendLine();
        text.Append("|---|");
        foreach (var _ in aggregators) text.Append("---:|---:|");
        text.AppendLine();
        foreach (var attack in attacks)
        {
            text.Append(culture, $"| {attack} |");
            foreach (var aggregator in aggregators)
            {
                var r = Find(attack, aggregator);
                text.Append(r is null ? " | |" : string.Create(culture,
                    $" {r.CleanAccuracy:P1} | {r.SuccessText(culture)} |"));
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>One line per result, aligned.</summary>
    public override string ToString()
    {
        var culture = CultureInfo.InvariantCulture;
        int attackWidth = Results.Count == 0 ? 6 : Math.Max(6, Results.Max(r => r.Attack.Length));
        int aggregatorWidth = Results.Count == 0 ? 10 : Math.Max(10, Results.Max(r => r.Aggregator.Length));
        var text = new StringBuilder();
        text.AppendLine(culture, $"{"attack".PadRight(attackWidth)}  {"aggregator".PadRight(aggregatorWidth)}  clean acc  attack success");
        foreach (var r in Results)
            text.AppendLine(culture,
                $"{r.Attack.PadRight(attackWidth)}  {r.Aggregator.PadRight(aggregatorWidth)}  {r.CleanAccuracy,9:P1}  {r.SuccessText(culture),14}");
        return text.ToString();
    }
}
