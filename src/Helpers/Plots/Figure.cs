using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ModelSecurity.Plots;

/// <summary>How a trace is drawn.</summary>
public enum TraceKind
{
    /// <summary>A line with markers through numeric (x, y) points.</summary>
    Line,

    /// <summary>Columns, one per category.</summary>
    Bar,

    /// <summary>Markers only (a scatter plot), through numeric (x, y) points.</summary>
    Points,
}

/// <summary>One trace of a <see cref="Figure"/>: a line through numeric points, or columns over categories.</summary>
/// <param name="Name">Legend entry (null: no legend entry).</param>
/// <param name="Kind">Line or bar.</param>
/// <param name="X">Numeric x values of a line (null for bars).</param>
/// <param name="Categories">Category labels of bars (null for lines).</param>
/// <param name="Y">Vertical values, one per x value or category.</param>
public sealed record Trace(string? Name, TraceKind Kind, IReadOnlyList<double>? X, IReadOnlyList<string>? Categories, IReadOnlyList<double> Y)
{
    /// <summary>How many points or columns.</summary>
    public int Count => Y.Count;
}

/// <summary>
/// The course's one chart model. Every chart (<see cref="Charts"/>, certified accuracy, learning curves, ROC curves) is a
/// figure, and every rendering is made from it: the standard Plotly figure JSON (<see cref="ToPlotlyJson"/>) for
/// interactive hosts, a PNG drawn in .NET (<see cref="ToPng"/>, ScottPlot) for everything else, and a text summary.
/// Same data, titles, axes, legend and colours in all of them.
/// </summary>
public sealed class Figure
{
    /// <summary>Colours of successive traces (D3's category10, also ScottPlot's default), set explicitly in both renderings.</summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>Creates a figure; checks that every trace is consistent and that bars and lines are not mixed.</summary>
    public Figure(string title, string xTitle, string yTitle, IEnumerable<Trace> traces, bool yAsPercent = false, bool stacked = false,
                  int width = 720, int height = 420)
    {
        ArgumentNullException.ThrowIfNull(traces);
        Title = title ?? "";
        XTitle = xTitle ?? "";
        YTitle = yTitle ?? "";
        Traces = traces.ToList();
        if (Traces.Count == 0) throw new ArgumentException("A chart needs at least one trace (series).", nameof(traces));
        foreach (var t in Traces)
        {
            int n = t.Kind != TraceKind.Bar ? t.X?.Count ?? throw new ArgumentException($"Line \"{t.Name}\" has no x values.")
                                             : t.Categories?.Count ?? throw new ArgumentException($"Bars \"{t.Name}\" have no categories.");
            if (n != t.Y.Count)
                throw new ArgumentException($"Trace \"{t.Name}\" has {n} {(t.Kind != TraceKind.Bar ? "x values" : "categories")} but {t.Y.Count} y values.");
        }
        if (Traces.Select(t => t.Kind == TraceKind.Bar).Distinct().Count() > 1)
            throw new ArgumentException("A chart draws either lines or bars, not both.", nameof(traces));
        YAsPercent = yAsPercent;
        Stacked = stacked;
        Width = Guard.AtLeast(width, 100, nameof(width));
        Height = Guard.AtLeast(height, 100, nameof(height));
    }

    /// <summary>Chart title.</summary>
    public string Title { get; }

    /// <summary>Horizontal axis title.</summary>
    public string XTitle { get; }

    /// <summary>Vertical axis title.</summary>
    public string YTitle { get; }

    /// <summary>The traces, in legend order.</summary>
    public IReadOnlyList<Trace> Traces { get; }

    /// <summary>Vertical values are fractions shown as percentages.</summary>
    public bool YAsPercent { get; }

    /// <summary>Bars are stacked on one another (otherwise grouped side by side).</summary>
    public bool Stacked { get; }

    /// <summary>Width in pixels of both renderings.</summary>
    public int Width { get; }

    /// <summary>Height in pixels of both renderings.</summary>
    public int Height { get; }

    /// <summary>True when the traces are bars.</summary>
    public bool IsBarChart => Traces[0].Kind == TraceKind.Bar;

    /// <summary>The standard Plotly figure (<c>{"data": [...], "layout": {...}}</c>) that plotly.js and notebook front ends draw.</summary>
    public JsonObject ToPlotlyJson()
    {
        var data = new JsonArray();
        for (int i = 0; i < Traces.Count; i++)
        {
            var t = Traces[i];
            string colour = Palette[i % Palette.Count];
            var trace = new JsonObject { ["type"] = t.Kind != TraceKind.Bar ? "scatter" : "bar" };
            if (t.Name != null) trace["name"] = t.Name;
            if (t.Kind != TraceKind.Bar)
            {
                trace["mode"] = t.Kind == TraceKind.Line ? "lines+markers" : "markers";
                trace["x"] = Numbers(t.X!);
                trace["line"] = new JsonObject { ["color"] = colour };
                trace["marker"] = new JsonObject { ["color"] = colour };
            }
            else
            {
                trace["x"] = new JsonArray(t.Categories!.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());
                trace["marker"] = new JsonObject { ["color"] = colour };
            }
            trace["y"] = Numbers(t.Y);
            data.Add(trace);
        }
        var yAxis = new JsonObject { ["title"] = new JsonObject { ["text"] = YTitle } };
        if (YAsPercent) yAxis["tickformat"] = ".0%";
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = Title },
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = XTitle } },
            ["yaxis"] = yAxis,
            ["width"] = Width,
            ["height"] = Height,
            ["showlegend"] = Traces.Count > 1 || Traces[0].Name != null,
        };
        if (IsBarChart) layout["barmode"] = Stacked ? "stack" : "group";
        return new JsonObject { ["data"] = data, ["layout"] = layout };
    }

    /// <summary>
    /// Reads a Plotly figure back (the subset the course draws: scatter lines and bars, titles, percent ticks, stacking);
    /// used for charts made with Plotly.NET directly and to migrate notebooks whose stored charts are figure JSON only.
    /// </summary>
    /// <exception cref="FormatException">The figure has a trace type or shape the course does not draw.</exception>
    public static Figure FromPlotlyJson(JsonNode figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var data = figure["data"] as JsonArray ?? throw new FormatException("A Plotly figure needs a \"data\" array.");
        var layout = figure["layout"] as JsonObject ?? new JsonObject();
        var traces = new List<Trace>();
        foreach (var node in data)
        {
            if (node is not JsonObject t) throw new FormatException("A Plotly trace must be an object.");
            string type = (string?)t["type"] ?? "scatter";
            string? name = (string?)t["name"];
            if (type is not ("bar" or "scatter" or "scattergl"))
                throw new FormatException($"Plotly trace type \"{type}\" has no static rendering in the course (lines, points and bars only).");
            var y = ReadNumbers(t["y"], "y");
            if (type == "bar")
            {
                var x = t["x"] as JsonArray ?? throw new FormatException($"Bar trace \"{name}\" has no x categories.");
                traces.Add(new Trace(name, TraceKind.Bar, null, x.Select(v => v?.ToString() ?? "").ToList(), y));
            }
            else
            {
                var x = t["x"] is null ? Enumerable.Range(0, y.Count).Select(i => (double)i).ToList() : ReadNumbers(t["x"], "x");
                bool markersOnly = (string?)t["mode"] == "markers";
                traces.Add(new Trace(name, markersOnly ? TraceKind.Points : TraceKind.Line, x, null, y));
            }
        }
        int width = (int?)Number(layout["width"]) ?? 720, height = (int?)Number(layout["height"]) ?? 420;
        return new Figure(TitleText(layout["title"]), TitleText(layout["xaxis"]?["title"]), TitleText(layout["yaxis"]?["title"]), traces,
            yAsPercent: ((string?)layout["yaxis"]?["tickformat"])?.Contains('%') == true,
            stacked: (string?)layout["barmode"] == "stack", width: width, height: height);
    }

    /// <summary>The static rendering (ScottPlot, no browser).</summary>
    public PngImage ToPng() => FigurePng.Render(this);

    /// <summary>Writes the static rendering to a PNG file.</summary>
    public void SavePng(string path) => ToPng().Save(path);

    /// <summary>A plain-text summary for text-only front ends and screen readers: titles, axes and every trace's values (first and last few).</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(IsBarChart ? (Stacked ? "Stacked bar chart" : "Bar chart") : Traces.All(t => t.Kind == TraceKind.Points) ? "Scatter chart" : "Line chart")
            .Append(Title.Length > 0 ? $" \"{Title}\"" : "").Append('\n');
        if (XTitle.Length > 0) text.Append("x: ").Append(XTitle).Append('\n');
        if (YTitle.Length > 0) text.Append("y: ").Append(YTitle).Append(YAsPercent ? " (%)" : "").Append('\n');
        foreach (var t in Traces)
        {
            text.Append("- ").Append(t.Name ?? "values").Append(": ");
            var points = Enumerable.Range(0, t.Count).Select(i =>
                (t.Kind != TraceKind.Bar ? FormatX(t.X![i]) : t.Categories![i]) + " → " + FormatY(t.Y[i])).ToList();
            text.AppendJoin(", ", points.Count <= 8 ? points : points.Take(4).Append("…").Concat(points.Skip(points.Count - 3)));
            text.Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }

    /// <summary>A y value as the axis shows it.</summary>
    internal string FormatY(double y) => YAsPercent ? (y * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : y.ToString("G4", CultureInfo.InvariantCulture);

    private static string FormatX(double x) => x.ToString("G4", CultureInfo.InvariantCulture);

    // Numbers are written as Python's json writes them ("1e-05", not .NET's "1E-05"), so that Jupyter saving a notebook
    // does not rewrite its stored charts; non-finite values become null (gaps), as plotly.js expects.
    private static JsonArray Numbers(IEnumerable<double> values) =>
        new(values.Select(v => double.IsFinite(v)
            ? JsonNode.Parse(v.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e'))
            : null).ToArray());

    private static List<double> ReadNumbers(JsonNode? node, string what) =>
        node is JsonArray array && array.All(v => v is null || Number(v) is not null)
            ? array.Select(v => Number(v) ?? double.NaN).ToList()
            : throw new FormatException($"A Plotly trace needs a numeric \"{what}\" array (text values have no static rendering here).");

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out double d) ? d : null;

    private static string TitleText(JsonNode? title) => title switch
    {
        null => "",
        JsonValue v => v.ToString(),
        _ => (string?)title["text"] ?? "",
    };
}
