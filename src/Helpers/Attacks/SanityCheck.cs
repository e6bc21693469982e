using System.Net;
using System.Text;
using ModelSecurity.Plots;

namespace ModelSecurity.Attacks;

/// <summary>The outcome of one check against gradient masking.</summary>
/// <param name="Check">What was checked, e.g. "unbounded attack".</param>
/// <param name="Passed">True when the evaluation behaved as a sound one must.</param>
/// <param name="Explanation">The measured numbers and what they mean.</param>
public sealed record SanityCheck(string Check, bool Passed, string Explanation)
{
    /// <inheritdoc />
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")}  {Check}: {Explanation}";
}

/// <summary>The checks of <see cref="RobustnessProtocol.CheckGradientMasking"/>.</summary>
/// <param name="Checks">One entry per check run.</param>
public sealed record SanityReport(IReadOnlyList<SanityCheck> Checks) : IHtmlDisplay
{
    /// <summary>True when every check passed.</summary>
    public bool AllPassed => Checks.All(c => c.Passed);

    /// <summary>The checks that failed.</summary>
    public IEnumerable<SanityCheck> Failures => Checks.Where(c => !c.Passed);

    /// <summary>One sentence on what the checks mean together.</summary>
    public string Verdict => AllPassed
        ? "No sign of gradient masking."
        : "Signs of gradient masking: the gradient-based accuracies overstate robustness; evaluate with attacks " +
          "that do not rely on the model's gradients (transfer, gradient-free, or BPDA) before trusting them.";

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var check in Checks) text.AppendLine(check.ToString());
        return text.Append(Verdict).ToString();
    }

    /// <summary>The checks as an HTML table (notebooks show it this way).</summary>
    public string ToHtml()
    {
        var html = new StringBuilder("<table><thead><tr><th></th><th>check</th><th>explanation</th></tr></thead><tbody>");
        foreach (var check in Checks)
            html.Append($"<tr><td style=\"color:{(check.Passed ? "green" : "red")}\">{(check.Passed ? "PASS" : "FAIL")}</td>" +
                        $"<td>{WebUtility.HtmlEncode(check.Check)}</td><td>{WebUtility.HtmlEncode(check.Explanation)}</td></tr>");
        return html.Append($"</tbody></table><p>{WebUtility.HtmlEncode(Verdict)}</p>").ToString();
    }
}
