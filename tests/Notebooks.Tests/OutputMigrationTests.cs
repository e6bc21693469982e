using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Tests;

public class OutputMigrationTests
{
    // The shape the engine stored before charts had a picture: plotly.js inlined, the figure JSON in a script.
    private const string OldChartHtml = """
        <script type="text/javascript" data-course-plotly="2.27.1">
        /* plotly.js v2.27.1 (a 3.5 MB copy in the real outputs) */
        </script>
        <div id="course-plot-0123456789ab" class="course-plotly"></div>
        <script type="text/javascript">
        (function () {
          var el = document.getElementById('course-plot-0123456789ab');
          if (!window.Plotly) { el.textContent = 'plotly.js is not loaded here: run the notebook again (course run) to embed it.'; return; }
          var fig = {"data":[{"type":"scatter","name":"FGSM","mode":"lines+markers","x":[0.0,0.1],"y":[0.9,0.2]}],"layout":{"title":{"text":"acc"},"xaxis":{"title":{"text":"ε"}},"yaxis":{"title":{"text":"accuracy"},"tickformat":".0%"}},"frames":[]};
          Plotly.newPlot(el, fig.data, fig.layout || {}, fig.config || {});
        })();
        </script>
        """;

    private static NotebookDocument OldNotebook()
    {
        var notebook = NotebookDocument.CreateNew();
        var cell = notebook.AddCell(NotebookCellKind.Code, "display(chart);");
        var grid = new ImageGrid("g").AddRow("clean", TorchSharp.torch.zeros(2, 1, 4, 4), new[] { "Coat\n→ Shirt", "Bag" });
        cell.Json["outputs"] = new JsonArray(
            new DisplayOutput(new FormattedValue(new Dictionary<string, string> { ["text/html"] = OldChartHtml, ["text/plain"] = "Plotly chart (1 trace)" })).ToJson(),
            new DisplayOutput(FormattedValue.Html(grid.ToHtml(), "ImageGrid \"g\": clean (2 images)")).ToJson(),
            new DisplayOutput(new FormattedValue(new Dictionary<string, string> { ["text/html"] = "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>" })).ToJson(),
            new StreamOutput("stderr", "Restoring NuGet packages: X 1.0 (cache: /tmp)\n").ToJson());
        return notebook;
    }

    [Fact]
    public void OldOutputsBecomeTodaysBundlesFromTheDataAlreadyStored()
    {
        var notebook = OldNotebook();
        var report = OutputMigration.Migrate(notebook);
        Assert.Equal(new MigrationReport(1, 1, 1, 1), report);
        var outputs = notebook.Cells[0].Outputs.Select(o => (JsonObject)o!).ToList();
        Assert.Equal(3, outputs.Count);

        var chart = (JsonObject)outputs[0]["data"]!;
        Assert.Equal(new[] { "application/vnd.plotly.v1+json", "image/png", "text/html", "text/plain" }, chart.Select(p => p.Key));
        Assert.Equal(new[] { 0.9, 0.2 }, chart[FigureFormatter.PlotlyMime]!["data"]![0]!["y"]!.AsArray().Select(v => (double)v!));
        Assert.DoesNotContain("plotly.js v", chart.ToJsonString());
        Assert.StartsWith("Line chart \"acc\"", NotebookCell.FromMultiline(chart["text/plain"]));

        var grid = (JsonObject)outputs[1]["data"]!;
        Assert.Equal(new[] { "image/png", "text/plain" }, grid.Select(p => p.Key));
        Assert.Equal("ImageGrid \"g\": clean (2 images: Coat → Shirt | Bag)", NotebookCell.FromMultiline(grid["text/plain"]));

        Assert.Equal("a\n1", NotebookCell.FromMultiline(outputs[2]["data"]!["text/plain"]));
    }

    [Fact]
    public void MigratingTwiceChangesNothing()
    {
        var notebook = OldNotebook();
        OutputMigration.Migrate(notebook);
        OutputMigration.ToJupyterLayout(notebook);
        string once = notebook.ToJson();
        Assert.True(OutputMigration.Migrate(notebook).IsEmpty);
        OutputMigration.ToJupyterLayout(notebook);
        Assert.Equal(once, notebook.ToJson());
    }
}
