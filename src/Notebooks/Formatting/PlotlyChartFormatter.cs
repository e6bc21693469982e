using System.Text;
using ModelSecurity.Notebooks.Format;
using Plotly.NET;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Plotly.NET charts as <c>text/html</c> that renders offline: the first chart of a notebook carries plotly.js
/// (the copy Plotly.NET ships), later charts only a <c>div</c> and a <c>Plotly.newPlot</c> call. No CDN is referenced.
/// </summary>
public sealed class PlotlyChartFormatter : DisplayFormatter<GenericChart>
{
    /// <summary>Key of plotly.js in <see cref="DisplaySession.TryClaim"/>.</summary>
    public const string ResourceKey = "plotly.js";

    /// <inheritdoc />
    protected override FormattedValue Format(GenericChart chart, DisplayContext context)
    {
        string figure = GenericChart.toFigureJson(chart).Replace("</", "<\\/", StringComparison.Ordinal);
        string id = "course-plot-" + Guid.NewGuid().ToString("N")[..12];
        var html = new StringBuilder();
        if (context.Session.TryClaim(ResourceKey))
            html.Append(PlotlyJs.ScriptTag()).Append('\n');
        html.Append("<div id=\"").Append(id).Append("\" class=\"course-plotly\"></div>\n")
            .Append("<script type=\"text/javascript\">\n(function () {\n  var el = document.getElementById('").Append(id).Append("');\n")
            .Append("  if (!window.Plotly) { el.textContent = 'plotly.js is not loaded here: run the notebook again (course run) to embed it.'; return; }\n")
            .Append("  var fig = ").Append(figure).Append(";\n")
            .Append("  Plotly.newPlot(el, fig.data, fig.layout || {}, fig.config || {});\n})();\n</script>");
        int traces = GenericChart.getTraces(chart).Length;
        return FormattedValue.Html(html.ToString(), $"Plotly chart ({traces} trace{(traces == 1 ? "" : "s")})");
    }
}

/// <summary>The plotly.js library embedded in Plotly.NET, ready to inline in HTML.</summary>
public static class PlotlyJs
{
    /// <summary>Attribute that marks the script element carrying plotly.js (the HTML export keeps one copy).</summary>
    public const string MarkerAttribute = "data-course-plotly";

    private static readonly Lazy<(string Version, string Source)> Library = new(Load);

    /// <summary>The plotly.js version Plotly.NET ships.</summary>
    public static string Version => Library.Value.Version;

    /// <summary>
    /// The minified library. Its only URL, the default <c>topojsonURL</c> (map outlines for geo charts, fetched from
    /// a CDN), is replaced by the relative folder <c>topojson/</c> so that nothing points at a CDN.
    /// </summary>
    public static string Source => Library.Value.Source;

    /// <summary>
    /// A script element with the library. AMD loaders (require.js in classic Jupyter) are hidden while it runs, so
    /// that plotly.js always defines the global <c>Plotly</c>.
    /// </summary>
    public static string ScriptTag() =>
        $"<script type=\"text/javascript\" {MarkerAttribute}=\"{Version}\">\nvar __courseDefine = window.define; window.define = undefined;\n{Source}\nwindow.define = __courseDefine;\n</script>";

    private static (string, string) Load()
    {
        var assembly = typeof(GenericChart).Assembly;
        string name = assembly.GetManifestResourceNames()
            .FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Plotly.NET does not embed plotly.js (resource Plotly.NET.plotly-*.min.js not found).");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string source = reader.ReadToEnd().Replace("\"https://cdn.plot.ly/\"", "\"topojson/\"", StringComparison.Ordinal);
        string version = name["Plotly.NET.plotly-".Length..^".min.js".Length];
        return (version, source);
    }
}
