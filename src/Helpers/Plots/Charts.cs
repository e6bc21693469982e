using ModelSecurity.Attacks;
using ModelSecurity.Training;

namespace ModelSecurity.Plots;

/// <summary>One line of a line chart.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">Horizontal values.</param>
/// <param name="Y">Vertical values (same length as <paramref name="X"/>).</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// The course's charts, as <see cref="Figure"/>s: a notebook shows each one as interactive Plotly figure JSON and,
/// from the same data, a static PNG (and a text summary); <c>figure.SavePng(path)</c> writes the picture.
/// </summary>
public static class Charts
{
    /// <summary>A line chart with markers, one line per series.</summary>
    public static Figure Lines(string title, string xTitle, string yTitle, IEnumerable<Series> series,
                                     bool yAsPercent = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        var lines = series.Select(s =>
        {
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Series \"{s.Name}\" has {s.X.Count} x values but {s.Y.Count} y values.");
            return new Trace(s.Name, TraceKind.Line, s.X.ToArray(), null, s.Y.ToArray());
        }).ToList();
        if (lines.Count == 0) throw new ArgumentException("A chart needs at least one series.", nameof(series));
        return new Figure(title, xTitle, yTitle, lines, yAsPercent);
    }

    /// <summary>Robust accuracy against ε, one line per attack (the reports of <see cref="RobustnessEvaluator.Sweep"/>).</summary>
    public static Figure AccuracyVsEpsilon(IReadOnlyDictionary<string, IReadOnlyList<AttackReport>> sweeps, string title = "Robust accuracy vs ε")
    {
        ArgumentNullException.ThrowIfNull(sweeps);
        return Lines(title, "ε (L∞, pixel units)", "accuracy",
            sweeps.Select(pair => new Series(pair.Key,
                pair.Value.Select(r => r.Epsilon ?? throw new ArgumentException($"Report \"{r.Attack}\" has no ε.")).ToList(),
                pair.Value.Select(r => r.RobustAccuracy).ToList())),
            yAsPercent: true);
    }

    /// <summary>Loss and accuracy per epoch of a training run (validation accuracy too when it was measured).</summary>
    public static Figure TrainingCurves(TrainingHistory history, string? title = null)
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
    public static Figure LearningCurves(IReadOnlyList<Defenses.CurvePoint> points, string title, string robustName = "robust (validation)")
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
    public static Figure StackedBars(string title, IReadOnlyList<string> labels, IEnumerable<(string Name, IReadOnlyList<double> Values)> parts,
                                           string yTitle, bool yAsPercent = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(parts);
        var columns = parts.Select(part =>
        {
            if (part.Values.Count != labels.Count)
                throw new ArgumentException($"Part \"{part.Name}\" has {part.Values.Count} values for {labels.Count} labels.");
            return new Trace(part.Name, TraceKind.Bar, null, labels.ToArray(), part.Values.ToArray());
        }).ToList();
        if (columns.Count == 0) throw new ArgumentException("A stacked chart needs at least one part.", nameof(parts));
        return new Figure(title, "", yTitle, columns, yAsPercent, stacked: true);
    }

    /// <summary>A bar chart of named values (e.g. per-class accuracy).</summary>
    public static Figure Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string yTitle, bool yAsPercent = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (labels.Count != values.Count) throw new ArgumentException($"{labels.Count} labels but {values.Count} values.");
        return new Figure(title, "", yTitle, [new Trace(null, TraceKind.Bar, null, labels.ToArray(), values.ToArray())], yAsPercent);
    }
}
