using System.Globalization;
using System.Net;
using System.Text;
using ModelSecurity.Plots;

namespace ModelSecurity.Attacks;

/// <summary>One row of a <see cref="RobustnessTable"/>.</summary>
/// <param name="Key">Stable short key: "clean", "fgsm", "pgd" or "apgd".</param>
/// <param name="Attack">The attack's full name, e.g. "PGD-20×5 L∞ ε=0.1" ("none" for clean).</param>
/// <param name="Accuracy">Accuracy under the attack (clean accuracy for the first row).</param>
/// <param name="Seconds">Wall-clock time of the row.</param>
public sealed record RobustnessRow(string Key, string Attack, double Accuracy, double Seconds);

/// <summary>What <see cref="RobustnessProtocol.Evaluate"/> measured: one row per attack, clean first.</summary>
/// <param name="Epsilon">The L∞ budget.</param>
/// <param name="Count">Examples evaluated.</param>
/// <param name="Rows">Clean, FGSM, PGD, APGD-CE, in that order.</param>
/// <param name="Reports">The attack rows' full reports (success rates, perturbation norms).</param>
public sealed record RobustnessTable(double Epsilon, int Count, IReadOnlyList<RobustnessRow> Rows, IReadOnlyList<AttackReport> Reports)
    : IHtmlDisplay
{
    /// <summary>Accuracy without attack.</summary>
    public double CleanAccuracy => Rows[0].Accuracy;

    /// <summary>
    /// The attack row with the lowest accuracy (on a tie the later, stronger-by-design attack): the best estimate of
    /// robust accuracy this protocol gives.
    /// </summary>
    public RobustnessRow Strongest => Rows.Skip(1).Reverse().MinBy(r => r.Accuracy) ?? Rows[0];

    /// <summary>The row with <paramref name="key"/> ("clean", "fgsm", "pgd", "apgd").</summary>
    public RobustnessRow this[string key] =>
        Rows.FirstOrDefault(r => r.Key == key) ?? throw new KeyNotFoundException($"No row '{key}'; rows: {string.Join(", ", Rows.Select(r => r.Key))}.");

    /// <summary>The table as Markdown, with a line naming the strongest attack.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| attack | accuracy | seconds |");
        text.AppendLine("|---|---:|---:|");
        foreach (var row in Rows)
            text.AppendLine(string.Create(c, $"| {(row.Key == "clean" ? "clean (no attack)" : row.Attack)} | {row.Accuracy * 100:F2}% | {row.Seconds:F1} |"));
        text.Append(c, $"\nL∞ ε = {Epsilon:0.###} on {Count} images; robust accuracy (strongest attack, {Strongest.Attack}): {Strongest.Accuracy * 100:F2}%");
        return text.ToString();
    }

    /// <summary>The table as HTML (notebooks show it this way).</summary>
    public string ToHtml()
    {
        var c = CultureInfo.InvariantCulture;
        var html = new StringBuilder("<table><thead><tr><th>attack</th><th>accuracy</th><th>seconds</th></tr></thead><tbody>");
        foreach (var row in Rows)
        {
            string name = WebUtility.HtmlEncode(row.Key == "clean" ? "clean (no attack)" : row.Attack);
            string style = ReferenceEquals(row, Strongest) ? " style=\"font-weight:bold\"" : "";
            html.Append(c, $"<tr{style}><td>{name}</td><td style=\"text-align:right\">{row.Accuracy * 100:F2}%</td><td style=\"text-align:right\">{row.Seconds:F1}</td></tr>");
        }
        html.Append(c, $"</tbody></table><p>L∞ ε = {Epsilon:0.###} on {Count} images; robust accuracy (strongest attack, in bold): {Strongest.Accuracy * 100:F2}%</p>");
        return html.ToString();
    }

    /// <summary>Checkpoint metadata: "protocolImages", "protocolEpsilon", and "protocol.KEY" = accuracy for every row.</summary>
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
        return extra;
    }

    /// <inheritdoc />
    public override string ToString() => ToMarkdown();
}
