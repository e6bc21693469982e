using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

public class FormattingTests
{
    private static async Task<DisplayOutput> Result(NotebookEngine engine, string code)
    {
        var cells = await RunCells(engine, code);
        Assert.Equal(CellStatus.Succeeded, cells[0].Result.Status);
        return Assert.IsType<DisplayOutput>(cells[0].Outputs[^1]);
    }

    [Fact]
    public async Task ScalarsStringsAndRecordsArePlainText()
    {
        var engine = Engine();
        Assert.Equal("3.5", Plain(await Result(engine, "3.5")));
        Assert.Equal("hello", Plain(await Result(engine, "\"hello\"")));
        Assert.Equal("true", Plain(await Result(engine, "true")));
        var record = await Result(engine, "record Run(string Name, double Accuracy);\nnew Run(\"baseline\", 0.91)");
        Assert.Equal("Run { Name = baseline, Accuracy = 0.91 }", Plain(record));
        Assert.False(record.Value.Data.ContainsKey("text/html"));
    }

    [Fact]
    public async Task SequencesOfRecordsAreHtmlTablesCappedWithMore()
    {
        var engine = Engine();
        var table = await Result(engine, "record Row(int Epoch, double Loss);\nEnumerable.Range(0, 25).Select(i => new Row(i, 1.0 / (i + 1))).ToList()");
        string html = table.Value.Data["text/html"];
        Assert.Contains("<th>Epoch</th><th>Loss</th>", html);
        Assert.Contains("<td>19</td><td>0.05</td>", html);
        Assert.DoesNotContain("<td>20</td><td>", html);
        Assert.Contains("… 5 more", html);
        Assert.Contains("… 5 more", table.Value.Data["text/plain"]);
        var scalars = await Result(engine, "new[] { 1, 2, 3 }");
        Assert.Equal("Int32[] (3 items) [1, 2, 3]", Plain(scalars));
    }

    [Fact]
    public async Task TensorsAreSummarised()
    {
        var engine = Engine();
        var summary = Plain(await Result(engine, "using TorchSharp;\ntorch.arange(0, 12, dtype: torch.float32).reshape(3, 4)"));
        Assert.Equal("Tensor float32 [3, 4] on cpu\nmin 0 · max 11 · mean 5.5\nfirst 10 of 12: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …]", summary);
        var ints = Plain(await Result(engine, "torch.tensor(new long[] { 3, 1, 2 })"));
        Assert.Equal("Tensor int64 [3] on cpu\n[3, 1, 2]", ints);
    }

    [Fact]
    public async Task PngImagesAreImagePngWithTheirSize()
    {
        var engine = Engine();
        var image = await Result(engine, "ModelSecurity.Plots.PngImage.FromGray(new float[] { 0f, 1f, 0.5f, 0.25f }, 2, 2, scale: 3)");
        byte[] png = Convert.FromBase64String(image.Value.Data["image/png"]);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        Assert.Equal("PNG image 6×6", Plain(image));
        Assert.Equal(6, (int)image.Value.Metadata!["image/png"]!["width"]!);
    }

    [Fact]
    public async Task ChartsAreOneBundleOfPlotlyJsonPngHtmlAndTextWithoutPlotlyJs()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "using ModelSecurity.Plots;\ndisplay(Charts.Lines(\"acc\", \"ε\", \"accuracy\", new[] { new Series(\"FGSM\", new[] { 0.0, 0.1 }, new[] { 0.9, 0.2 }) }, yAsPercent: true));",
            "using Plotly.NET.CSharp;\nChart.Line<double, double, string>(x: new[] { 1.0, 2, 3 }, y: new[] { 2.0, 4, 3 })");
        foreach (var output in new[] { cells[0].Outputs.Single(), cells[1].Outputs.Single() })
        {
            var data = ((DisplayOutput)output).Value.Data;
            Assert.Equal(new[] { "application/vnd.plotly.v1+json", "image/png", "text/html", "text/plain" }, data.Keys.Order(StringComparer.Ordinal));
            var figure = System.Text.Json.Nodes.JsonNode.Parse(data[FigureFormatter.PlotlyMime])!;
            Assert.NotEmpty(figure["data"]!.AsArray());
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], Convert.FromBase64String(data["image/png"])[..4]);
            Assert.Contains("<img src=\"data:image/png;base64," + data["image/png"], data["text/html"]); // the picture shows without JavaScript
            Assert.Contains("if (!window.Plotly) return;", data["text/html"]);
            Assert.DoesNotContain("* plotly.js v", data["text/html"]);
            Assert.DoesNotContain("https://", data["text/html"]);
            Assert.True(data["text/html"].Length < 200_000, $"chart HTML is {data["text/html"].Length} characters");
            // nbformat stores the Plotly MIME type as JSON, not as a string
            Assert.IsType<System.Text.Json.Nodes.JsonObject>(output.ToJson()["data"]![FigureFormatter.PlotlyMime]);
        }
        Assert.Equal("Line chart \"acc\"\nx: ε\ny: accuracy (%)\n- FGSM: 0 → 90 %, 0.1 → 20 %", Plain(cells[0].Outputs.Single()));
    }

    [Fact]
    public async Task ImageGridsAreRealPngOutputsWithTheirCaptionsAsText()
    {
        var engine = Engine();
        var grid = await Result(engine, "new ModelSecurity.Plots.ImageGrid(\"g\").AddRow(\"clean\", TorchSharp.torch.zeros(2, 1, 4, 4), new[] { \"Coat\", \"Bag\" })");
        Assert.Equal(new[] { "image/png", "text/plain" }, grid.Value.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("ImageGrid \"g\": clean (2 images: Coat | Bag)", Plain(grid));
    }

    [Fact]
    public async Task TablesHaveReadableTextWithoutCompilerTypeNames()
    {
        var engine = Engine();
        var linq = Plain(await Result(engine, "new[] { 0.5, 0.25 }.Select(x => new { Epsilon = x, Accuracy = 1 - x })"));
        Assert.Equal("2 rows\nEpsilon  Accuracy\n0.5      0.5\n0.25     0.75", linq);
        var html = await Result(engine, "display(\"<table><tr><th>attack</th><th>accuracy</th></tr><tr><td>PGD &amp; FGSM</td><td>5 %</td></tr></table>\", \"text/html\");");
        Assert.Equal("attack      accuracy\nPGD & FGSM  5 %", Plain(html));
    }

    [Fact]
    public async Task LinqResultsAndAnonymousObjectsAreReadableTextWithTheirValuesNotTypeNames()
    {
        var engine = Engine();
        // Rows of anonymous objects, capped with "… N more" like the HTML table; a nested LINQ sequence shows its items.
        var rows = await Result(engine, "Enumerable.Range(0, 23).Select(i => new { Step = i, Rates = new[] { 0.5, 0.25 }.Select(r => r * i) })");
        string plain = Plain(rows);
        Assert.StartsWith("23 rows\nStep  Rates\n0     [0, 0]\n1     [0.5, 0.25]\n", plain);
        Assert.EndsWith("19    [9.5, 4.75]\n… 3 more", plain);
        Assert.Contains("<td>1</td><td>[0.5, 0.25]</td>", rows.Value.Data["text/html"]);
        // A scalar sequence is a list, truncated after MaxItems.
        Assert.Equal("25 items [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, … 15 more]", Plain(await Result(engine, "Enumerable.Range(0, 25).Select(i => i * 2)")));
        // One anonymous object, a tuple and a table cell holding sequences, anonymous objects and lists.
        Assert.Equal("{ Model = baseline, Accuracy = [0.9, 0.1, 0, 0, 0, …], Best = { Eps = 0, Acc = 0.9 } }",
            Plain(await Result(engine, "new { Model = \"baseline\", Accuracy = new[] { 0.9, 0.1, 0, 0, 0, 0 }.Where(a => a >= 0), Best = new { Eps = 0, Acc = 0.9 } }")));
        Assert.Equal("(3, [1, 2])", Plain(await Result(engine, "(3, new List<int> { 1, 2 })")));
        var dictionary = Plain(await Result(engine, "new[] { \"FGSM\", \"PGD\" }.ToDictionary(a => a, a => new { Length = a.Length })"));
        Assert.Equal("2 rows\nKey   Value\nFGSM  { Length = 4 }\nPGD   { Length = 3 }", dictionary);
        foreach (string text in new[] { plain, dictionary })
        {
            Assert.DoesNotContain("d__", text);
            Assert.DoesNotContain("<>", text);
            Assert.DoesNotContain("System.", text);
        }
    }

    [Fact]
    public async Task DisplayAsTheLastExpressionShowsTheValueOnce()
    {
        var cells = await RunCells(Engine(), "display(new[] { 1, 2 }.Select(i => new { I = i }))");
        var output = Assert.IsType<DisplayOutput>(Assert.Single(cells[0].Outputs));
        Assert.False(output.IsResult);
        Assert.Equal("2 rows\nI\n1\n2", Plain(output));
    }

    [Fact]
    public void MoreFormattersCanBeRegistered()
    {
        var registry = FormatterRegistry.CreateDefault();
        registry.Add(new GridFormatter());
        var bundle = registry.Format(new Grid(3), new DisplayContext(registry, new DisplaySession()));
        Assert.Equal("<grid>3</grid>", bundle.Data["text/html"]);
    }

    private sealed record Grid(int Size);

    private sealed class GridFormatter : DisplayFormatter<Grid>
    {
        protected override FormattedValue Format(Grid value, DisplayContext context) => FormattedValue.Html($"<grid>{value.Size}</grid>", "grid");
    }

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
