using System.Globalization;
using System.Net;
using System.Text;
using ModelSecurity.Plots;

namespace ModelSecurity.Attacks;

/// <summary>One row of a <see cref="RobustnessTable"/>.</summary>
/// <param name="Key">Stable short key: "clean", "fgsm", "pgd" or "apgd".</param>
/// <param name="Attack">The attack's full name, e.g. "PGD-20×5 L∞ ε=0.1" ("none" for clean).</param>
/// <param name="Accuracy">
/// Clean accuracy for the first row; for an attack row the robust accuracy <em>after</em> it, cumulative: the fraction of
/// points classified correctly and broken by none of the attacks up to and including this one (per-point worst case).
/// </param>
/// <param name="Seconds">Wall-clock time of the row.</param>
/// <param name="Broken">Points this attack broke that no earlier attack had broken (null for the clean row).</param>
/// <param name="OwnAccuracy">Accuracy under this attack alone, when it ran on every point (evaluation without early exit); else null.</param>
public sealed record RobustnessRow(string Key, string Attack, double Accuracy, double Seconds, int? Broken = null, double? OwnAccuracy = null);

/// <summary>What <see cref="RobustnessProtocol.Evaluate"/> measured: one row per attack, clean first, accuracies cumulative.</summary>
/// <param name="Epsilon">The L∞ budget.</param>
/// <param name="Count">Examples evaluated.</param>
/// <param name="Rows">Clean, FGSM, PGD, APGD-CE, in that order; attack rows hold the cumulative (per-point worst-case) accuracy.</param>
/// <param name="WorstCase">The per-point record: which attack broke each point, and the attack counts.</param>
public sealed record RobustnessTable(double Epsilon, int Count, IReadOnlyList<RobustnessRow> Rows, WorstCaseReport WorstCase)
    : IHtmlDisplay
{
    /// <summary>Accuracy without attack.</summary>
    public double CleanAccuracy => Rows[0].Accuracy;

    /// <summary>
    /// The headline: robust accuracy as the per-point worst case over all the protocol's attacks (a point counts only if
    /// every attack failed on it) — not the lowest of the attacks' separate accuracies, which overstates robustness
    /// when the attacks break different points.
    /// </summary>
    public double RobustAccuracy => WorstCase.RobustAccuracy;

    /// <summary>95 % Wilson interval of <see cref="RobustAccuracy"/>.</summary>
    public Statistics.Interval RobustInterval => WorstCase.RobustInterval;

    /// <summary>
    /// The last row, whose cumulative accuracy is the per-point worst case over all attacks (<see cref="RobustAccuracy"/>).
    /// Kept for existing callers; its <see cref="RobustnessRow.Attack"/> names the last attack, not a single strongest one.
    /// </summary>
    public RobustnessRow Strongest => Rows[^1];

    /// <summary>The row with <paramref name="key"/> ("clean", "fgsm", "pgd", "apgd").</summary>
    public RobustnessRow this[string key] =>
        Rows.FirstOrDefault(r => r.Key == key) ?? throw new KeyNotFoundException($"No row '{key}'; rows: {string.Join(", ", Rows.Select(r => r.Key))}.");

    /// <summary>The table as Markdown, with a line naming the strongest attack.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| attack | broken here | accuracy (cumulative) | seconds |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var row in Rows)
            text.AppendLine(string.Create(c, $"| {(row.Key == "clean" ? "clean (no attack)" : row.Attack)} | {row.Broken?.ToString(c) ?? ""} | {row.Accuracy * 100:F2}% | {row.Seconds:F1} |"));
        text.Append(c, $"\nL∞ ε = {Epsilon:0.###} on {Count} images; robust accuracy (per-point worst case over all attacks): {RobustAccuracy * 100:F2}% {RobustInterval}");
        return text.ToString();
    }

    /// <summary>The table as HTML (notebooks show it this way).</summary>
    public string ToHtml()
    {
        var c = CultureInfo.InvariantCulture;
        var html = new StringBuilder("<table><thead><tr><th>attack</th><th>broken here</th><th>accuracy (cumulative)</th><th>seconds</th></tr></thead><tbody>");
        foreach (var row in Rows)
        {
            string name = WebUtility.HtmlEncode(row.Key == "clean" ? "clean (no attack)" : row.Attack);
            string style = ReferenceEquals(row, Strongest) && row.Key != "clean" ? " style=\"font-weight:bold\"" : "";
            html.Append(c, $"<tr{style}><td>{name}</td><td style=\"text-align:right\">{row.Broken?.ToString(c) ?? ""}</td><td style=\"text-align:right\">{row.Accuracy * 100:F2}%</td><td style=\"text-align:right\">{row.Seconds:F1}</td></tr>");
        }
        html.Append(c, $"</tbody></table><p>L∞ ε = {Epsilon:0.###} on {Count} images; robust accuracy (per-point worst case over all attacks, in bold): {RobustAccuracy * 100:F2}% {WebUtility.HtmlEncode(RobustInterval.ToString())}</p>");
        return html.ToString();
    }

    /// <summary>Checkpoint metadata: "protocolImages", "protocolEpsilon", "protocol.KEY" = (cumulative) accuracy for every row, "protocol.robust" = the worst case.</summary>
    public IReadOnlyDictionary<string, string> ToExtra()
    {
        var c = CultureInfo.InvariantCulture;
        var extra = new Dictionary<string, string>
        {
            ["protocolImages"] = Count.ToString(c),
            ["protocolEpsilon"] = Epsilon.ToString(c),
        };
        foreach (var row in Rows) extra[$"protocol.{row.Key}"] = row.Accuracy.ToString("F4", c);
        foreach (var row in Rows.Skip(1)) extra[$"protocol.{row.Key}.attack"] = row.Attack;
        extra["protocol.robust"] = RobustAccuracy.ToString("F4", c);
        return extra;
    }

    /// <inheritdoc />
    public override string ToString() => ToMarkdown();
}
