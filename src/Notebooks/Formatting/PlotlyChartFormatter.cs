using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Plots;
using Plotly.NET;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Charts made with Plotly.NET directly, shown like the course's own charts: the figure is read into a <see cref="ModelSecurity.Plots.Figure"/>
/// and formatted by <see cref="FigureFormatter"/> (Plotly JSON, PNG, HTML, text). Figures the static renderer cannot draw
/// (trace types other than lines and bars) keep the Plotly JSON and an HTML note instead of the picture.
/// </summary>
public sealed class PlotlyChartFormatter : DisplayFormatter<GenericChart>
{
    /// <inheritdoc />
    protected override FormattedValue Format(GenericChart chart, DisplayContext context)
    {
        var json = JsonNode.Parse(GenericChart.toFigureJson(chart))!.AsObject();
        json.Remove("frames");
        (json["layout"] as JsonObject)?.Remove("template"); // Plotly.NET's default template: 10 kB of colours per chart
        try
        {
            return FigureFormatter.Bundle(ModelSecurity.Plots.Figure.FromPlotlyJson(json));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            int traces = GenericChart.getTraces(chart).Length;
            string text = $"Plotly chart ({traces} trace{(traces == 1 ? "" : "s")}; no static picture: {e.Message})";
            return new FormattedValue(new Dictionary<string, string>
            {
                [FigureFormatter.PlotlyMime] = json.ToJsonString(),
                ["text/html"] = "<pre>" + WebUtility.HtmlEncode(text) + "</pre>",
                ["text/plain"] = text,
            });
        }
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
