using System.Globalization;

namespace ModelSecurity.Plots;

/// <summary>
/// Draws a <see cref="Figure"/> as a PNG with ScottPlot 5 (SkiaSharp), in-process and without a browser: the static
/// rendering that hosts without JavaScript (GitHub, nbviewer, untrusted Jupyter, print) show.
/// </summary>
internal static class FigurePng
{
    private static readonly object Gate = new();

    /// <summary>A sans-serif family that is installed and has the Greek letters and arrows the course's titles use.</summary>
    internal static readonly Lazy<string> SansFont = new(() =>
    {
        var installed = SkiaSharp.SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new[] { "DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial", "Liberation Sans", "Noto Sans" }.FirstOrDefault(installed.Contains)
               ?? ScottPlot.Fonts.Detect("εβσ→");
    });

    /// <summary>Renders the figure at its own size.</summary>
    public static PngImage Render(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        // ScottPlot's font cache is process-wide; rendering two figures at once from notebook threads is not worth the risk.
        lock (Gate)
        {
            var plot = new ScottPlot.Plot();
            plot.Font.Set(SansFont.Value);
            if (figure.IsBarChart) AddBars(plot, figure);
            else AddLines(plot, figure);

            // Long titles shrink to fit the picture rather than being cut at its edges.
            if (figure.Title.Length > 0) plot.Title(figure.Title, size: Math.Clamp((figure.Width - 40) / (0.6f * figure.Title.Length), 9, 15));
            if (figure.XTitle.Length > 0) plot.XLabel(figure.XTitle, size: 13);
            if (figure.YTitle.Length > 0) plot.YLabel(figure.YTitle, size: 13);
            if (figure.YAsPercent)
                plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
                {
                    LabelFormatter = v => (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%",
                };
            if (figure.Traces.Count > 1 || figure.Traces[0].Name != null)
            {
                plot.ShowLegend(ScottPlot.Edge.Bottom);
                plot.Legend.Orientation = ScottPlot.Orientation.Horizontal;
            }
            byte[] bytes = plot.GetImageBytes(figure.Width, figure.Height, ScottPlot.ImageFormat.Png);
            return new PngImage(bytes, figure.Width, figure.Height);
        }
    }

    private static void AddLines(ScottPlot.Plot plot, Figure figure)
    {
        for (int i = 0; i < figure.Traces.Count; i++)
        {
            var t = figure.Traces[i];
            // Gaps (NaN, e.g. a missing measurement) split the line as in plotly.js rather than failing the render.
            var points = Enumerable.Range(0, t.Count).Where(k => double.IsFinite(t.X![k]) && double.IsFinite(t.Y[k])).ToList();
            var scatter = plot.Add.Scatter(points.Select(k => t.X![k]).ToArray(), points.Select(k => t.Y[k]).ToArray());
            scatter.Color = ScottPlot.Color.FromHex(Figure.Palette[i % Figure.Palette.Count]);
            scatter.LineWidth = t.Kind == TraceKind.Points ? 0 : 2;
            scatter.MarkerSize = t.Kind == TraceKind.Points ? 7 : points.Count > 60 ? 0 : 6;
            if (t.Name != null) scatter.LegendText = t.Name;
        }
    }

    private static void AddBars(ScottPlot.Plot plot, Figure figure)
    {
        // Categories are the union of the traces' labels in first-seen order, as plotly.js places them.
        var categories = figure.Traces.SelectMany(t => t.Categories!).Distinct().ToList();
        int groups = figure.Stacked ? 1 : figure.Traces.Count;
        double slot = 0.8 / groups;
        var baseline = new double[categories.Count];
        for (int i = 0; i < figure.Traces.Count; i++)
        {
            var t = figure.Traces[i];
            var colour = ScottPlot.Color.FromHex(Figure.Palette[i % Figure.Palette.Count]);
            var bars = new List<ScottPlot.Bar>();
            for (int k = 0; k < t.Count; k++)
            {
                int c = categories.IndexOf(t.Categories![k]);
                double value = double.IsFinite(t.Y[k]) ? t.Y[k] : 0;
                double position = figure.Stacked ? c : c - 0.4 + slot * (i + 0.5);
                double from = figure.Stacked ? baseline[c] : 0;
                bars.Add(new ScottPlot.Bar { Position = position, ValueBase = from, Value = from + value, Size = slot * 0.95, FillColor = colour });
                if (figure.Stacked) baseline[c] += value;
            }
            var plottable = plot.Add.Bars(bars);
            if (t.Name != null) plottable.LegendText = t.Name;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(c => (double)c).ToArray(), categories.ToArray());
        plot.Axes.Margins(bottom: 0);
    }
}
