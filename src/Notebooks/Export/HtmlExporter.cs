using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Notebooks.Export;

/// <summary>
/// Turns a notebook into one standalone HTML file that works offline: Markdown rendered (Markdig), math typeset by
/// KaTeX at export time, with its style, fonts and script inlined in the page (<see cref="KatexAssets"/>), code with its outputs, images inline (data URIs), plotly.js
/// embedded once in the page head when any output is a chart. Charts are stored with their PNG, so with JavaScript off
/// (or in print) the pictures show; with it on, plotly.js replaces them by the interactive charts.
/// </summary>
public static partial class HtmlExporter
{
    /// <summary>The HTML page.</summary>
    /// <param name="notebook">The notebook, with its stored outputs.</param>
    /// <param name="title">Page title (default: the file name).</param>
    /// <param name="katexDist">KaTeX's <c>dist</c> folder (default: <see cref="KatexAssets.FindDist"/>).</param>
    /// <exception cref="FileNotFoundException">The notebook has math and KaTeX is not installed.</exception>
    public static string Export(NotebookDocument notebook, string? title = null, string? katexDist = null)
    {
        title ??= notebook.FilePath is null ? "Notebook" : Path.GetFileNameWithoutExtension(notebook.FilePath);
        var body = new StringBuilder();
        bool needsPlotly = false;
        int number = 0;
        foreach (var cell in notebook.Cells)
        {
            number++;
            switch (cell.Kind)
            {
                case NotebookCellKind.Markdown:
                    body.Append("<section class=\"cell markdown\">\n").Append(Markdown.ToHtml(cell.Source)).Append("</section>\n");
                    break;
                case NotebookCellKind.Raw:
                    body.Append("<section class=\"cell raw\"><pre>").Append(Encode(cell.Source)).Append("</pre></section>\n");
                    break;
                default:
                    string count = cell.ExecutionCount is int n ? n.ToString() : " ";
                    string tags = cell.Tags.Count > 0 ? $" <span class=\"tags\">{Encode(string.Join(", ", cell.Tags))}</span>" : "";
                    body.Append($"<section class=\"cell code\" id=\"cell-{number}\">\n<div class=\"prompt\">In [{count}]:{tags}</div>\n")
                        .Append("<pre class=\"source\"><code class=\"language-csharp\">").Append(Encode(cell.Source)).Append("</code></pre>\n");
                    foreach (var node in cell.Outputs)
                        if (node is JsonObject json && CellOutput.FromJson(json) is { } output)
                            body.Append(Output(output, ref needsPlotly));
                    body.Append("</section>\n");
                    break;
            }
        }

        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"course export\">\n")
            .Append("<title>").Append(Encode(title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n");
        string content = body.ToString();
        if (content.Contains("class=\"math\"", StringComparison.Ordinal))
        {
            page.Append(KatexAssets.HeadElements(katexDist));
            content = KatexAssets.PreRender(content, katexDist);
        }
        if (needsPlotly) page.Append(PlotlyJs.ScriptTag()).Append('\n');
        page.Append("</head>\n<body>\n<main>\n").Append(content).Append("</main>\n</body>\n</html>\n");
        return page.ToString();
    }

    private static string Output(CellOutput output, ref bool needsPlotly)
    {
        switch (output)
        {
            case StreamOutput stream:
                return $"<pre class=\"output stream {stream.Name}\">{Encode(stream.Text)}</pre>\n";
            case ErrorOutput error:
                return $"<pre class=\"output error\">{Encode(string.Join("\n", error.Traceback.Count > 0 ? error.Traceback : [$"{error.EName}: {error.EValue}"]))}</pre>\n";
            case DisplayOutput display:
                var data = display.Value.Data;
                if (data.TryGetValue("text/html", out string? html))
                {
                    if (html.Contains(PlotlyJs.MarkerAttribute, StringComparison.Ordinal) || html.Contains("Plotly.newPlot", StringComparison.Ordinal)
                        || html.Contains(FigureFormatter.HtmlClass, StringComparison.Ordinal))
                    {
                        needsPlotly = true;
                        html = EmbeddedPlotly().Replace(html, "");
                    }
                    return $"<div class=\"output html\">{html}</div>\n";
                }
                if (data.TryGetValue("image/png", out string? png))
                    return $"<div class=\"output image\"><img src=\"data:image/png;base64,{png.Trim()}\" alt=\"image output\"></div>\n";
                if (data.TryGetValue("image/jpeg", out string? jpeg))
                    return $"<div class=\"output image\"><img src=\"data:image/jpeg;base64,{jpeg.Trim()}\" alt=\"image output\"></div>\n";
                if (data.TryGetValue("image/svg+xml", out string? svg))
                    return $"<div class=\"output image\">{svg}</div>\n";
                if (data.TryGetValue("text/markdown", out string? md))
                    return $"<div class=\"output markdown\">{Markdown.ToHtml(md)}</div>\n";
                if (data.TryGetValue("text/plain", out string? text))
                    return $"<pre class=\"output text\">{Encode(text)}</pre>\n";
                return "";
            default:
                return "";
        }
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex("<script[^>]*data-course-plotly[^>]*>.*?</script>", RegexOptions.Singleline)]
    private static partial Regex EmbeddedPlotly();

    private const string Style = """
        body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; line-height: 1.5; color: #1f2328; background: #fff; margin: 0; }
        main { max-width: 1000px; margin: 0 auto; padding: 24px; }
        .cell { margin: 14px 0; }
        .markdown h1, .markdown h2, .markdown h3 { border-bottom: 1px solid #d8dee4; padding-bottom: .2em; }
        .prompt { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #57606a; margin-bottom: 2px; }
        .tags { background: #ddf4ff; border-radius: 8px; padding: 0 6px; margin-left: 6px; }
        pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-x: auto; padding: 10px; border-radius: 6px; margin: 4px 0; white-space: pre-wrap; }
        pre.source { background: #f6f8fa; border: 1px solid #d0d7de; }
        pre.output { background: #fff; border-left: 3px solid #d0d7de; }
        pre.output.stderr { background: #fff8e6; }
        pre.output.error { background: #ffebe9; border-left-color: #cf222e; color: #82071e; }
        code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
        pre code { background: none; padding: 0; }
        .output.image img { image-rendering: pixelated; max-width: 100%; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; }
        thead { background: #f6f8fa; }
        div.math { margin: 8px 0; overflow-x: auto; }
        .course-figure img { max-width: 100%; height: auto; }
        blockquote { border-left: 4px solid #d0d7de; color: #57606a; margin: 0; padding: 0 12px; }
        """;
}
