using Plotly.NET;
using ModelSecurity.Attacks;
using ModelSecurity.Training;
using CSharpChart = Plotly.NET.CSharp.Chart;

namespace ModelSecurity.Plots;

/// <summary>One line of a line chart.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">Horizontal values.</param>
/// <param name="Y">Vertical values (same length as <paramref name="X"/>).</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// The course's charts, as Plotly.NET charts: a notebook displays them (plotly.js embedded, so they work
/// offline), and <c>chart.SaveHtml(path)</c> writes a standalone page.
/// </summary>
public static class Charts
{
    /// <summary>A line chart with markers, one line per series.</summary>
    public static GenericChart Lines(string title, string xTitle, string yTitle, IEnumerable<Series> series,
                                     bool yAsPercent = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        var lines = series.Select(s =>
        {
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Series \"{s.Name}\" has {s.X.Count} x values but {s.Y.Count} y values.");
            return CSharpChart.Line<double, double, string>(x: s.X.ToArray(), y: s.Y.ToArray(), Name: s.Name, ShowMarkers: true);
        }).ToList();
        if (lines.Count == 0) throw new ArgumentException("A chart needs at least one series.", nameof(series));
        var chart = CSharpChart.Combine(lines);
        return Style(chart, title, xTitle, yTitle, yAsPercent);
    }

    /// <summary>Robust accuracy against ε, one line per attack (the reports of <see cref="RobustnessEvaluator.Sweep"/>).</summary>
    public static GenericChart AccuracyVsEpsilon(IReadOnlyDictionary<string, IReadOnlyList<AttackReport>> sweeps, string title = "Robust accuracy vs ε")
    {
        ArgumentNullException.ThrowIfNull(sweeps);
        return Lines(title, "ε (L∞, pixel units)", "accuracy",
            sweeps.Select(pair => new Series(pair.Key,
                pair.Value.Select(r => r.Epsilon ?? throw new ArgumentException($"Report \"{r.Attack}\" has no ε.")).ToList(),
                pair.Value.Select(r => r.RobustAccuracy).ToList())),
            yAsPercent: true);
    }

    /// <summary>Loss and accuracy per epoch of a training run (validation accuracy too when it was measured).</summary>
    public static GenericChart TrainingCurves(TrainingHistory history, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToList();
        var series = new List<Series> { new("train accuracy", epochs, history.Epochs.Select(e => e.TrainAccuracy).ToList()) };
        if (history.Epochs.All(e => e.ValidationAccuracy.HasValue))
            series.Add(new Series("validation accuracy", epochs, history.Epochs.Select(e => e.ValidationAccuracy!.Value).ToList()));
        return Lines(title ?? $"Training: {history.Recipe.Name}", "epoch", "accuracy", series, yAsPercent: true);
    }

    /// <summary>
    /// The learning curves of adversarial training (<see cref="Defenses.RobustnessCurve"/>): training accuracy on the
    /// batches as trained on, and clean and robust accuracy on the validation images, per epoch.
    /// </summary>
    public static GenericChart LearningCurves(IReadOnlyList<Defenses.CurvePoint> points, string title, string robustName = "robust (validation)")
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("The curve has no points (no epoch was recorded).", nameof(points));
        var epochs = points.Select(p => (double)p.Epoch).ToList();
        return Lines(title, "epoch", "accuracy", new[]
        {
            new Series("training batches (as trained on)", epochs, points.Select(p => p.TrainAccuracy).ToList()),
            new Series("clean (validation)", epochs, points.Select(p => p.CleanAccuracy).ToList()),
            new Series(robustName, epochs, points.Select(p => p.RobustAccuracy).ToList()),
        }, yAsPercent: true);
    }

    /// <summary>Stacked columns: for every label, the parts stacked on one another (e.g. natural + boundary error).</summary>
    public static GenericChart StackedBars(string title, IReadOnlyList<string> labels, IEnumerable<(string Name, IReadOnlyList<double> Values)> parts,
                                           string yTitle, bool yAsPercent = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(parts);
        var columns = parts.Select(part =>
        {
            if (part.Values.Count != labels.Count)
                throw new ArgumentException($"Part \"{part.Name}\" has {part.Values.Count} values for {labels.Count} labels.");
            return CSharpChart.StackedColumn<double, string, string>(values: part.Values.ToArray(), Keys: labels.ToArray(), Name: part.Name);
        }).ToList();
        if (columns.Count == 0) throw new ArgumentException("A stacked chart needs at least one part.", nameof(parts));
        return Style(CSharpChart.Combine(columns), title, "", yTitle, yAsPercent);
    }

    /// <summary>A bar chart of named values (e.g. per-class accuracy).</summary>
    public static GenericChart Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string yTitle, bool yAsPercent = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (labels.Count != values.Count) throw new ArgumentException($"{labels.Count} labels but {values.Count} values.");
        var chart = CSharpChart.Column<double, string, string>(values: values.ToArray(), Keys: labels.ToArray());
        return Style(chart, title, "", yTitle, yAsPercent);
    }

    private static GenericChart Style(GenericChart chart, string title, string xTitle, string yTitle, bool yAsPercent)
    {
        // Layout properties are set by name: plotly.js's own attribute names, serialized as they are.
        var xAxis = new Plotly.NET.LayoutObjects.LinearAxis();
        xAxis.SetProperty("title", new { text = xTitle });
        var yAxis = new Plotly.NET.LayoutObjects.LinearAxis();
        yAxis.SetProperty("title", new { text = yTitle });
        if (yAsPercent) yAxis.SetProperty("tickformat", ".0%");
        var layout = new Layout();
        layout.SetProperty("title", new { text = title });
        layout.SetProperty("xaxis", xAxis);
        layout.SetProperty("yaxis", yAxis);
        layout.SetProperty("width", 720);
        layout.SetProperty("height", 420);
        return Plotly.NET.GenericChart.addLayout(layout, chart);
    }
}
