using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// A <see cref="Figure"/> as one MIME bundle with two renderings of the same data:
/// <list type="bullet">
/// <item><c>application/vnd.plotly.v1+json</c>: the standard Plotly figure, drawn interactively by hosts that know the
/// type (JupyterLab and Notebook 7 with the plotly renderer, VS Code, the course's HTML export);</item>
/// <item><c>image/png</c>: the static picture (ScottPlot), for hosts without JavaScript or that type;</item>
/// <item><c>text/html</c>: for hosts that pick HTML first (classic Jupyter, nbconvert): the same picture as an
/// <c>img</c>, upgraded to the interactive chart when plotly.js is already on the page. No copy of plotly.js is stored,
/// and nothing is fetched: untrusted notebooks, e-mailed pages and prints still show the picture;</item>
/// <item><c>text/plain</c>: titles, axes and values (<see cref="Figure.ToString"/>).</item>
/// </list>
/// </summary>
public sealed class FigureFormatter : DisplayFormatter<Figure>
{
    /// <summary>The Plotly figure MIME type.</summary>
    public const string PlotlyMime = "application/vnd.plotly.v1+json";

    /// <summary>Class of the element that holds a chart in <c>text/html</c> (the HTML export and tests look for it).</summary>
    public const string HtmlClass = "course-figure";

    /// <inheritdoc />
    protected override FormattedValue Format(Figure figure, DisplayContext context) => Bundle(figure);

    /// <summary>The bundle for a figure (also used to migrate stored notebooks, so both give the same outputs).</summary>
    public static FormattedValue Bundle(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var json = figure.ToPlotlyJson();
        var png = figure.ToPng();
        string summary = figure.ToString();
        return new FormattedValue(
            new Dictionary<string, string>
            {
                [PlotlyMime] = json.ToJsonString(),
                ["text/html"] = Html(json, png, summary),
                ["image/png"] = png.ToBase64(),
                ["text/plain"] = summary,
            },
            new Dictionary<string, JsonNode?> { ["image/png"] = new JsonObject { ["width"] = png.Width, ["height"] = png.Height } });
    }

    /// <summary>
    /// The self-sufficient HTML: the PNG, and a script that replaces it by the interactive chart only when
    /// <c>window.Plotly</c> exists (the export page loads plotly.js once in its head).
    /// </summary>
    public static string Html(JsonObject figure, PngImage png, string summary)
    {
        string figureJson = figure.ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal);
        // The id comes from the content, so re-running a migration or a cell writes the same bytes (no git churn); the
        // script prefers its own preceding element, which also tells two identical charts in one page apart.
        string id = "course-figure-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(figureJson)))[..12];
        return new StringBuilder()
            .Append("<div class=\"").Append(HtmlClass).Append("\" id=\"").Append(id).Append("\">")
            .Append("<img src=\"data:image/png;base64,").Append(png.ToBase64()).Append("\" width=\"").Append(png.Width)
            .Append("\" height=\"").Append(png.Height).Append("\" style=\"max-width:100%;height:auto\" alt=\"")
            .Append(WebUtility.HtmlEncode(summary)).Append("\"/></div>\n")
            .Append("<script type=\"text/javascript\">\n(function () {\n  if (!window.Plotly) return; // no plotly.js here: the picture stays\n")
            .Append("  var own = document.currentScript && document.currentScript.previousElementSibling;\n")
            .Append("  var el = own && own.className === '").Append(HtmlClass).Append("' ? own : document.getElementById('").Append(id).Append("');\n  var fig = ").Append(figureJson).Append(";\n")
            .Append("  el.innerHTML = '';\n  Plotly.newPlot(el, fig.data, fig.layout || {}, {displaylogo: false});\n})();\n</script>")
            .ToString();
    }
}
