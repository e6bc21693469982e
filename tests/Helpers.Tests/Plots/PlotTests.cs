using ModelSecurity.Attacks;
using ModelSecurity.Plots;
using System.Text.Json.Nodes;
using SkiaSharp;
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
        Assert.Equal(2, chart.Traces.Count);
        string json = chart.ToPlotlyJson().ToJsonString();
        Assert.Contains("Robust accuracy vs", json);
        Assert.Contains(".0%", json);
        Assert.Contains("FGSM: 0.01 → 60 %, 0.1 → 10 %", chart.ToString());
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
        Assert.Equal(3, chart.Traces.Count);
        Assert.Contains("PGD-10", chart.ToPlotlyJson().ToJsonString());
        Assert.Throws<ArgumentException>(() => Charts.LearningCurves(Array.Empty<ModelSecurity.Defenses.CurvePoint>(), "empty"));
    }

    [Fact]
    public void StackedBarsStackOneTracePerPartAndCheckTheirLengths()
    {
        var labels = new[] { "standard", "PGD-AT" };
        var chart = Charts.StackedBars("robust error", labels, new (string, IReadOnlyList<double>)[] { ("natural", new[] { 0.08, 0.15 }), ("boundary", new[] { 0.9, 0.1 }) }, "fraction", yAsPercent: true);
        Assert.Equal(2, chart.Traces.Count);
        Assert.Contains("\"barmode\":\"stack\"", chart.ToPlotlyJson().ToJsonString());
        Assert.Contains("1 values for 2 labels", Assert.Throws<ArgumentException>(() =>
            Charts.StackedBars("t", labels, new (string, IReadOnlyList<double>)[] { ("natural", new[] { 0.1 }) }, "y")).Message);
    }

    [Fact]
    public void PlotlyJsonRoundTripsThroughTheFigureModel()
    {
        var chart = Charts.Lines("t", "ε", "accuracy", new[] { new Series("a", new[] { 0.0, 1e-5, 2 }, new[] { 0.9, 0.5, double.NaN }) }, yAsPercent: true);
        var json = chart.ToPlotlyJson();
        Assert.Equal("1e-05", json["data"]![0]!["x"]![1]!.ToJsonString()); // Python's spelling, so Jupyter does not rewrite it
        var back = Figure.FromPlotlyJson(JsonNode.Parse(json.ToJsonString())!);
        Assert.Equal(("t", "ε", "accuracy", true), (back.Title, back.XTitle, back.YTitle, back.YAsPercent));
        Assert.Equal(new[] { 0.0, 1e-5, 2 }, back.Traces[0].X);
        Assert.True(double.IsNaN(back.Traces[0].Y[2]));
        Assert.Contains("no static rendering", Assert.Throws<FormatException>(() =>
            Figure.FromPlotlyJson(JsonNode.Parse("{\"data\":[{\"type\":\"heatmap\",\"z\":[[1]]}]}")!)).Message);
    }

    [Fact]
    public void PngRenderingDrawsEveryTraceInItsPaletteColour()
    {
        var chart = Charts.Lines("two lines", "x", "y", new[]
        {
            new Series("first", new[] { 0.0, 1, 2 }, new[] { 0.0, 1, 2 }),
            new Series("second", new[] { 0.0, 1, 2 }, new[] { 2.0, 1, 0 }),
        });
        var png = chart.ToPng();
        using var bitmap = SKBitmap.Decode(png.Bytes);
        Assert.Equal((chart.Width, chart.Height), (bitmap.Width, bitmap.Height));
        foreach (string hex in Figure.Palette.Take(2))
            Assert.True(CountNear(bitmap, SKColor.Parse(hex)) > 200, $"too few pixels of {hex}");
        Assert.True(CountNear(bitmap, SKColor.Parse(Figure.Palette[2])) < 20, "a third colour is drawn for two traces");
    }

    [Fact]
    public void StackedBarsRenderAsOnePicture()
    {
        var chart = Charts.StackedBars("robust error", new[] { "a", "b" }, new (string, IReadOnlyList<double>)[] { ("natural", new[] { 0.1, 0.2 }), ("boundary", new[] { 0.5, 0.1 }) }, "fraction", yAsPercent: true);
        using var bitmap = SKBitmap.Decode(chart.ToPng().Bytes);
        Assert.True(CountNear(bitmap, SKColor.Parse(Figure.Palette[0])) > 500);
        Assert.True(CountNear(bitmap, SKColor.Parse(Figure.Palette[1])) > 500);
    }

    [Fact]
    public void ImageGridRendersAsOnePngWithEveryImage()
    {
        using var scope = NewDisposeScope();
        var white = ones(3, 1, 10, 10);
        var grid = new ImageGrid("grid", scale: 2).AddRow("clean", white, new[] { "Coat\n→ Shirt", "b", "c" }).AddRow("black", zeros(3, 1, 10, 10));
        var png = grid.ToPng();
        using var bitmap = SKBitmap.Decode(png.Bytes);
        Assert.Equal((png.Width, png.Height), (bitmap.Width, bitmap.Height));
        Assert.True(bitmap.Width > 3 * 20 && bitmap.Height > 2 * 20 + 2 * 11, $"{bitmap.Width}×{bitmap.Height} is too small for 2 rows of 3 images with captions");
        Assert.True(CountNear(bitmap, SKColors.Black) >= 3 * 20 * 20, "the black row is missing");
        Assert.Contains("clean (3 images: Coat → Shirt | b | c)", grid.ToString());
    }

    private static int CountNear(SKBitmap bitmap, SKColor colour)
    {
        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                if (Math.Abs(p.Red - colour.Red) + Math.Abs(p.Green - colour.Green) + Math.Abs(p.Blue - colour.Blue) < 30) count++;
            }
        return count;
    }
}
