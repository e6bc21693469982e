using ModelSecurity.Attacks;
using ModelSecurity.Plots;
using Plotly.NET;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Plots;

public class PlotTests
{
    [Fact]
    public void ImageGridEmbedsOnePngPerImageWithEncodedCaptions()
    {
        using var scope = NewDisposeScope();
        var images = rand(3, 1, 28, 28);
        var grid = new ImageGrid("clean vs adversarial", scale: 2)
            .AddRow("clean", images, new[] { "Coat <97%>", "Bag", "Shirt" })
            .AddRow("perturbation", images - 0.5, signed: true);
        string html = grid.ToHtml();
        Assert.Equal(6, html.Split("data:image/png;base64,").Length - 1);
        Assert.Contains("Coat &lt;97%&gt;", html);
        Assert.Contains("width=\"56\"", html);
        Assert.DoesNotContain("http", html);
        Assert.Equal(2, grid.RowCount);
        Assert.Contains("perturbation (3 images)", grid.ToString());
    }

    [Fact]
    public void ImageGridRejectsWrongShapesAndCaptionCounts()
    {
        using var scope = NewDisposeScope();
        var grid = new ImageGrid();
        Assert.Contains("(N, 1, H, W)", Assert.Throws<ArgumentException>(() => grid.AddRow("x", rand(28, 28))).Message);
        Assert.Contains("2 captions for 3 images", Assert.Throws<ArgumentException>(() => grid.AddRow("x", rand(3, 1, 4, 4), new[] { "a", "b" })).Message);
    }

    [Fact]
    public void AccuracyVsEpsilonDrawsOneLinePerAttack()
    {
        static AttackReport Report(string attack, double eps, double accuracy) =>
            new(attack, eps, 100, 0.9, accuracy, 0.5, 1, 2, 0.1, 0.1, 1);
        var sweeps = new Dictionary<string, IReadOnlyList<AttackReport>>
        {
            ["FGSM"] = new[] { Report("FGSM", 0.01, 0.6), Report("FGSM", 0.1, 0.1) },
            ["PGD-20"] = new[] { Report("PGD", 0.01, 0.5), Report("PGD", 0.1, 0.0) },
        };
        var chart = Charts.AccuracyVsEpsilon(sweeps);
        Assert.Equal(2, GenericChart.getTraces(chart).Length);
        string json = GenericChart.toFigureJson(chart);
        Assert.Contains("Robust accuracy vs", json);
        Assert.Contains(".0%", json);
    }

    [Fact]
    public void LineChartsCheckTheirData()
    {
        Assert.Contains("2 x values but 3 y values",
            Assert.Throws<ArgumentException>(() => Charts.Lines("t", "x", "y", new[] { new Series("s", new[] { 1.0, 2 }, new[] { 1.0, 2, 3 }) })).Message);
        Assert.Throws<ArgumentException>(() => Charts.Lines("t", "x", "y", Array.Empty<Series>()));
        Assert.Throws<ArgumentException>(() => Charts.Bars("t", new[] { "a" }, new[] { 1.0, 2 }, "y"));
    }

    [Fact]
    public void LearningCurvesDrawTrainingCleanAndRobustAccuracy()
    {
        var points = new[] { new ModelSecurity.Defenses.CurvePoint(1, 1.0, 0.5, 0.8, 0.6, 10), new ModelSecurity.Defenses.CurvePoint(2, 0.8, 0.6, 0.85, 0.7, 10) };
        var chart = Charts.LearningCurves(points, "PGD-AT", "PGD-10");
        Assert.Equal(3, GenericChart.getTraces(chart).Length);
        Assert.Contains("PGD-10", GenericChart.toFigureJson(chart));
        Assert.Throws<ArgumentException>(() => Charts.LearningCurves(Array.Empty<ModelSecurity.Defenses.CurvePoint>(), "empty"));
    }

    [Fact]
    public void StackedBarsStackOneTracePerPartAndCheckTheirLengths()
    {
        var labels = new[] { "standard", "PGD-AT" };
        var chart = Charts.StackedBars("robust error", labels, new (string, IReadOnlyList<double>)[] { ("natural", new[] { 0.08, 0.15 }), ("boundary", new[] { 0.9, 0.1 }) }, "fraction", yAsPercent: true);
        Assert.Equal(2, GenericChart.getTraces(chart).Length);
        Assert.Contains("\"barmode\":\"stack\"", GenericChart.toFigureJson(chart));
        Assert.Contains("1 values for 2 labels", Assert.Throws<ArgumentException>(() =>
            Charts.StackedBars("t", labels, new (string, IReadOnlyList<double>)[] { ("natural", new[] { 0.1 }) }, "y")).Message);
    }
}
