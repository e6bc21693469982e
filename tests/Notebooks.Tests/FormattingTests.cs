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
    public async Task PlotlyJsIsEmbeddedOnceAndNoCdnIsReferenced()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "using Plotly.NET.CSharp;\nvar first = Chart.Line<double, double, string>(x: new[] { 1.0, 2, 3 }, y: new[] { 2.0, 4, 3 });\ndisplay(first);",
            "Chart.Point<double, double, string>(x: new[] { 1.0, 2 }, y: new[] { 1.0, 0 })");
        string firstHtml = ((DisplayOutput)cells[0].Outputs.Single()).Value.Data["text/html"];
        string secondHtml = ((DisplayOutput)cells[1].Outputs.Single()).Value.Data["text/html"];
        string all = firstHtml + secondHtml;
        Assert.Equal(1, Count(all, PlotlyJs.MarkerAttribute));
        Assert.Equal(1, Count(all, "* plotly.js v"));
        Assert.Equal(2, Count(all, "Plotly.newPlot(el,"));
        Assert.DoesNotContain("https://cdn", all);
        Assert.DoesNotContain("<script src=", all);
        Assert.True(firstHtml.Length > 1_000_000);
        Assert.True(secondHtml.Length < 50_000);
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
