using System.Net;
using System.Text;
using ModelSecurity.Plots;

namespace ModelSecurity.Grading.Feedback;

/// <summary>One check of an exercise as the learner sees it.</summary>
/// <param name="Check">The check's name (its method name).</param>
/// <param name="Passed">True when it passed.</param>
/// <param name="Message">What was compared (passed) or the first mismatch in the learner's words (failed).</param>
public sealed record CheckLine(string Check, bool Passed, string Message);

/// <summary>
/// The result of an in-notebook check: ✔ or ✘, what was compared, the first problem. Shows itself as text/html
/// (engine formatters pick <see cref="IHtmlDisplay"/>) with <see cref="ToString"/> as the text/plain form.
/// </summary>
public sealed class CheckReport : IHtmlDisplay
{
    /// <summary>Creates a report.</summary>
    /// <param name="exerciseId">The exercise, <c>set/name</c>.</param>
    /// <param name="lines">The checks that ran, in order; a failed one is last.</param>
    /// <param name="note">A line under the result (e.g. how to get a hint), or null.</param>
    public CheckReport(string exerciseId, IReadOnlyList<CheckLine> lines, string? note = null)
    {
        ExerciseId = exerciseId;
        Lines = lines;
        Note = note;
    }

    /// <summary>The exercise, <c>set/name</c>.</summary>
    public string ExerciseId { get; }

    /// <summary>The checks that ran.</summary>
    public IReadOnlyList<CheckLine> Lines { get; }

    /// <summary>A line under the result, or null.</summary>
    public string? Note { get; }

    /// <summary>True when there were checks and all passed.</summary>
    public bool Passed => Lines.Count > 0 && Lines.All(l => l.Passed);

    /// <summary>The first failure's message, or null.</summary>
    public string? Problem => Lines.FirstOrDefault(l => !l.Passed)?.Message;

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Passed ? "✔ " : "✘ ").Append(ExerciseId).Append(Passed ? ": correct" : ": not yet").Append('\n');
        foreach (var line in Lines) text.Append("  ").Append(line.Passed ? "✔ " : "✘ ").Append(line.Message).Append('\n');
        if (Note is not null) text.Append(Note).Append('\n');
        return text.ToString().TrimEnd('\n');
    }

    /// <inheritdoc />
    public string ToHtml()
    {
        string color = Passed ? "#2e7d32" : "#c62828";
        var html = new StringBuilder();
        html.Append($"<div class=\"course-check\" style=\"border-left:4px solid {color};padding:4px 10px;margin:2px 0\">");
        html.Append($"<div style=\"color:{color};font-weight:bold\">{(Passed ? "✔" : "✘")} {Encode(ExerciseId)}{(Passed ? ": correct" : ": not yet")}</div>");
        html.Append("<ul style=\"margin:4px 0;padding-left:1.2em\">");
        foreach (var line in Lines)
            html.Append($"<li style=\"list-style:none\"><span style=\"color:{(line.Passed ? "#2e7d32" : "#c62828")}\">{(line.Passed ? "✔" : "✘")}</span> {InlineCodeHtml(line.Message)}</li>");
        html.Append("</ul>");
        if (Note is not null) html.Append($"<div style=\"color:#555\">{InlineCodeHtml(Note)}</div>");
        html.Append("</div>");
        return html.ToString();
    }

    /// <summary>HTML-encodes text and renders <c>`code`</c> spans as &lt;code&gt;.</summary>
    public static string InlineCodeHtml(string text)
    {
        var parts = text.Split('`');
        var html = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
            html.Append(i % 2 == 1 && i < parts.Length - 1 ? "<code>" + Encode(parts[i]) + "</code>" : (i % 2 == 1 ? "`" : "") + Encode(parts[i]));
        return html.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
