using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Runtime;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>How a progress report looks as a cell output, and how to recognize one in a stored notebook.</summary>
public static class ProgressDisplay
{
    /// <summary>
    /// text/plain: the line; text/html: a progress bar (as fastprogress draws it) and the line; output metadata
    /// <c>{"course": {"progress": true}}</c>, so tools that compare outputs can tell progress from results.
    /// </summary>
    public static FormattedValue Bundle(ProgressReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        string bar = report.Fraction is { } fraction
            ? $"<progress value=\"{fraction.ToString("0.####", CultureInfo.InvariantCulture)}\" max=\"1\" " +
              "style=\"width:16em;height:1em;vertical-align:middle\"></progress> "
            : "";
        string html = $"<div class=\"course-progress\">{bar}<span style=\"font-family:monospace\">{WebUtility.HtmlEncode(report.Text)}</span></div>";
        var metadata = new Dictionary<string, JsonNode?> { ["course"] = new JsonObject { ["progress"] = true } };
        return new FormattedValue(new Dictionary<string, string> { ["text/html"] = html, ["text/plain"] = report.Text }, metadata);
    }

    /// <summary>True for a progress display in nbformat JSON (an element of a cell's <c>outputs</c>).</summary>
    public static bool IsProgress(JsonObject output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output["metadata"]?["course"]?["progress"] is JsonValue value && value.TryGetValue(out bool flag) && flag;
    }
}
