using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>What <see cref="OutputMigration.Migrate"/> changed in one notebook.</summary>
/// <param name="Charts">Chart outputs rebuilt as Plotly JSON + PNG + HTML + text.</param>
/// <param name="ImageGrids">HTML image grids redrawn as one PNG.</param>
/// <param name="Tables">Table outputs that got a readable <c>text/plain</c>.</param>
/// <param name="RestoreMessages">NuGet restore chatter removed from stored stderr.</param>
public sealed record MigrationReport(int Charts, int ImageGrids, int Tables, int RestoreMessages)
{
    /// <summary>True when nothing changed.</summary>
    public bool IsEmpty => Charts + ImageGrids + Tables + RestoreMessages == 0;
}

/// <summary>
/// Rewrites a stored notebook's outputs of older engine versions into today's bundles without re-running it. The data
/// are already in the file: a chart's Plotly figure JSON sits in its old <c>text/html</c> (with plotly.js inlined), an
/// image grid's pictures are data URIs in its HTML table; they are read back and formatted by the same code the engine
/// uses (<see cref="FigureFormatter.Bundle"/>, <see cref="ImageGridPng"/>, <see cref="TextTable"/>), so a migrated
/// notebook has the outputs a fresh run would give. Idempotent: outputs already in today's form are left alone.
/// </summary>
public static partial class OutputMigration
{
    /// <summary>Migrates every output of every code cell in place.</summary>
    public static MigrationReport Migrate(NotebookDocument notebook)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        int charts = 0, grids = 0, tables = 0, restores = 0;
        foreach (var cell in notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code))
        {
            var outputs = cell.Outputs;
            for (int i = outputs.Count - 1; i >= 0; i--)
            {
                if (outputs[i] is not JsonObject output) continue;
                if ((string?)output["output_type"] == "stream")
                {
                    if (RemoveRestoreChatter(output)) { outputs.RemoveAt(i); restores++; }
                    continue;
                }
                if (output["data"] is not JsonObject data) continue;
                string? html = data["text/html"] is { } h ? NotebookCell.FromMultiline(h) : null;
                if (html is null || data[FigureFormatter.PlotlyMime] is not null) continue;

                if (OldFigure().Match(html) is { Success: true } figure)
                {
                    var bundle = FigureFormatter.Bundle(Figure.FromPlotlyJson(JsonNode.Parse(figure.Groups[1].Value)!));
                    Replace(output, bundle);
                    charts++;
                }
                else if (html.Contains("class=\"course-image-grid\"", StringComparison.Ordinal))
                {
                    var (title, rows) = ReadImageGrid(html);
                    var png = ImageGridPng.Render(title, rows);
                    Replace(output, new FormattedValue(
                        new Dictionary<string, string> { ["image/png"] = png.ToBase64(), ["text/plain"] = ImageGrid.Describe(title, rows) },
                        new Dictionary<string, JsonNode?> { ["image/png"] = new JsonObject { ["width"] = png.Width, ["height"] = png.Height } }));
                    grids++;
                }
                else if (html.Contains("<table", StringComparison.OrdinalIgnoreCase) && ReadableText(data, html) is { } text)
                {
                    data["text/plain"] = NotebookCell.ToMultiline(text);
                    tables++;
                }
            }
        }
        return new MigrationReport(charts, grids, tables, restores);
    }

    /// <summary>
    /// A readable <c>text/plain</c> for a stored table, or null when it has one: HTML-only tables get the table as text,
    /// and tables whose text starts with a compiler type name ("ArraySelectIterator&lt;…&gt; (4 items)") get "4 rows".
    /// </summary>
    private static string? ReadableText(JsonObject data, string html)
    {
        if (data["text/plain"] is not { } node) return TextTable.FromHtml(html);
        string text = NotebookCell.FromMultiline(node);
        var heading = OldTableHeading().Match(text);
        if (!heading.Success || !html.Contains("course-table", StringComparison.Ordinal)) return null;
        string type = heading.Groups["type"].Value;
        if (!(type.Contains("Iterator", StringComparison.Ordinal) || type.StartsWith('<') || type.Contains("anonymous", StringComparison.Ordinal)))
            return null;
        string count = heading.Groups["count"].Value;
        return $"{count} row{(count == "1" ? "" : "s")}" + text[heading.Length..];
    }

    private static bool RemoveRestoreChatter(JsonObject stream)
    {
        string text = NotebookCell.FromMultiline(stream["text"]);
        var kept = text.Split('\n').Where(line => !NuGetRestorer.IsProgress(line)).ToList();
        string rest = string.Join('\n', kept);
        if (rest == text) return false;
        if (rest.Trim().Length == 0) return true;
        stream["text"] = NotebookCell.ToMultiline(rest);
        return false;
    }

    private static void Replace(JsonObject output, FormattedValue bundle)
    {
        var fresh = new DisplayOutput(bundle).ToJson();
        output["data"] = SortKeys(fresh["data"]);
        output["metadata"] = SortKeys(fresh["metadata"]);
    }

    /// <summary>
    /// Rewrites the notebook in the layout Jupyter saves (nbformat's <c>split_lines</c> and sorted keys), so that opening
    /// and saving it in Jupyter without changes leaves the file — and git — as it was.
    /// </summary>
    public static void ToJupyterLayout(NotebookDocument notebook)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        foreach (var cell in notebook.Cells)
        {
            if (cell.Json["source"] is JsonValue) cell.Json["source"] = NotebookCell.ToMultiline(NotebookCell.FromMultiline(cell.Json["source"]));
            foreach (var output in cell.Outputs.OfType<JsonObject>())
            {
                if (output["text"] is JsonValue) output["text"] = NotebookCell.ToMultiline(NotebookCell.FromMultiline(output["text"]));
                if (output["data"] is JsonObject data)
                    foreach (string mime in data.Select(p => p.Key).ToList())
                        if (data[mime] is JsonValue && (mime.StartsWith("text/", StringComparison.Ordinal) || mime is "application/javascript" or "image/svg+xml"))
                            data[mime] = NotebookCell.ToMultiline(NotebookCell.FromMultiline(data[mime]));
            }
        }
        SortKeysInPlace(notebook.Root);
    }

    private static void SortKeysInPlace(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var pairs = o.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                o.Clear();
                foreach (var (key, value) in pairs)
                {
                    SortKeysInPlace(value);
                    o[key] = value;
                }
                break;
            case JsonArray a:
                foreach (var item in a) SortKeysInPlace(item);
                break;
        }
    }

    /// <summary>
    /// A deep copy with object keys in ordinal order, as nbformat (Jupyter) writes them, so that saving a migrated notebook
    /// from Jupyter does not reorder what the migration wrote.
    /// </summary>
    public static JsonNode? SortKeys(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, SortKeys(p.Value)))),
        JsonArray a => new JsonArray(a.Select(SortKeys).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    private static (string? Title, List<ImageGridRow> Rows) ReadImageGrid(string html)
    {
        string? title = GridTitle().Match(html) is { Success: true } t ? WebUtility.HtmlDecode(t.Groups[1].Value) : null;
        var rows = new List<ImageGridRow>();
        foreach (Match row in GridRow().Matches(html))
        {
            string name = WebUtility.HtmlDecode(row.Groups[1].Value);
            var images = new List<PngImage>();
            var captions = new List<string>();
            foreach (Match cell in GridCell().Matches(row.Groups[2].Value))
            {
                images.Add(new PngImage(Convert.FromBase64String(cell.Groups[1].Value), int.Parse(cell.Groups[2].Value), int.Parse(cell.Groups[3].Value)));
                captions.Add(WebUtility.HtmlDecode(cell.Groups[4].Value.Replace("<br/>", "\n", StringComparison.Ordinal)));
            }
            rows.Add(new ImageGridRow(name, images, captions.Any(c => c.Length > 0) ? captions : null));
        }
        if (rows.Count == 0) throw new FormatException("An image-grid output has no rows to migrate.");
        return (title, rows);
    }

    [GeneratedRegex(@"var fig = (\{.*\});\s*Plotly\.newPlot\(el, fig\.data", RegexOptions.Singleline)]
    private static partial Regex OldFigure();

    [GeneratedRegex(@"^(?<type>.+) \((?<count>\d+\+?) items\)")]
    private static partial Regex OldTableHeading();

    [GeneratedRegex("<div class=\"course-image-grid\"><div [^>]*>(.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex GridTitle();

    [GeneratedRegex(@"<tr><th[^>]*>(.*?)</th>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex GridRow();

    [GeneratedRegex("<td[^>]*><img src=\"data:image/png;base64,([^\"]+)\" width=\"(\\d+)\" height=\"(\\d+)\"[^>]*/>(?:<br/>)?(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex GridCell();
}
