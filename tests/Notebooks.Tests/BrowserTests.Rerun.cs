using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;
using ModelSecurity.Notebooks.Parameters;

namespace ModelSecurity.Notebooks.Tests;

public partial class BrowserTests
{
    // A chapter with several charts whose first chart needs no training (FGSM against the shipped baseline).
    private const string RerunChapter = "01-fgsm.ipynb";

    /// <summary>
    /// Issue 24's "re-run, save, reload": in Jupyter Notebook with the course kernel, the code cells up to the first chart
    /// are run in the notebook's session, the notebook is saved with the outputs the kernel sent (what the page does on
    /// Run and Save, done by clients/rerun_and_save.py through the REST and kernel APIs), then the page is loaded afresh
    /// in Chromium: every chart still shows its picture, and every chart output in the saved file keeps its image/png.
    /// </summary>
    [JupyterNotebookFact]
    public async Task RerunSaveAndReloadInJupyterNotebookKeepsEveryChart()
    {
        string root = CoursePaths.Root;
        Assert.True(File.Exists(Path.Combine(root, "src/Helpers/bin/Release/net10.0/ModelSecurity.Helpers.dll")),
                    "the chapters load src/Helpers/bin/Release/…: build it first (dotnet build src/Helpers -c Release)");
        using var server = await JupyterNotebookServer.StartAsync(nb =>
        {
            // With the fast parameters of notebooks/test-parameters.json injected, as `course run --param` does.
            var notebook = NotebookDocument.Load(Path.Combine(root, "notebooks", RerunChapter));
            var parameters = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, JsonElement>>>(
                File.ReadAllText(Path.Combine(root, "notebooks", "test-parameters.json")))![RerunChapter];
            NotebookParameters.Inject(notebook, [.. parameters.Select(p => KeyValuePair.Create(p.Key, p.Value.GetRawText()))]);
            notebook.Save(Path.Combine(nb, "chapter.ipynb"));
            // The setup cell references ../src/Helpers/bin/…: the copy sits where a chapter does, one level below src.
            Directory.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(nb)!, "src"), Path.Combine(root, "src"));
        }, courseKernel: true);
        string saved = Path.Combine(server.NotebookFolder, "chapter.ipynb");
        var before = NotebookDocument.Load(saved);
        int figures = Figures(before);
        int firstChart = before.Cells.ToList().FindIndex(c => c.Outputs.Any(o => o?["data"]?[FigureFormatter.PlotlyMime] is not null));
        Assert.True(figures >= 2 && firstChart > 0, $"{RerunChapter} should hold executed charts ({figures})");
        var run = Enumerable.Range(0, firstChart + 1).Where(i => before.Cells[i].Kind == NotebookCellKind.Code).ToList();

        var result = await RunClient(server, "rerun_and_save.py", [server.BaseUrl, "chapter.ipynb", ".net-csharp", server.RuntimeFolder,
                                                                   .. run.Select(i => i.ToString())]);
        var cells = ((JsonArray)result["cells"]!).Select(c => (JsonObject)c!).ToList();
        Assert.True(cells.Count == run.Count && cells.All(c => (string?)c["status"] == "ok"),
                    "the cells did not all run:\n" + result.ToJsonString());
        var rerunMimes = ((JsonArray)cells[^1]["outputs"]!).Select(o => ((JsonArray)o!).Select(m => (string)m!).ToList()).ToList();
        Assert.True(rerunMimes.Any(m => m.Contains(FigureFormatter.PlotlyMime) && m.Contains("image/png")),
                    "the re-run chart cell sent " + string.Join("; ", rerunMimes.Select(m => string.Join(", ", m))));

        // The saved file: as many charts as before, each still carrying its picture.
        var after = NotebookDocument.Load(saved);
        var charts = after.Cells.SelectMany(c => c.Outputs).Where(o => o?["data"]?[FigureFormatter.PlotlyMime] is not null).ToList();
        Assert.Equal(figures, charts.Count);
        Assert.All(charts, o => Assert.NotNull(o!["data"]!["image/png"]));
        Assert.NotNull(after.Cells[firstChart].Json["execution_count"]?.GetValue<int>());
        // The re-run (on the test parameters' fewer images) replaced the stored chart, not just left it in place.
        Assert.NotEqual(before.Cells[firstChart].Outputs.ToJsonString(), after.Cells[firstChart].Outputs.ToJsonString());

        // Reloaded in the browser: every chart shows, whether as its picture or drawn by plotly.js.
        string url = $"{server.BaseUrl}/notebooks/chapter.ipynb";
        var (dom, _) = Chromium.DumpDom(url, budgetMs: 20000);
        int shown = StaticFigure().Matches(dom).Count + Count(dom, "class=\"main-svg\"");
        Assert.True(shown >= figures, $"{shown} of {figures} charts show after re-run, save and reload");
        Chromium.Screenshot(url, "01-fgsm-jupyter-rerun-saved-reloaded.png", 6000);
    }

    /// <summary>Runs tests/Notebooks.Tests/clients/<paramref name="script"/> with Debian's Jupyter client; returns its RESULT line.</summary>
    private static async Task<JsonObject> RunClient(JupyterNotebookServer server, string script, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestSupport.RepositoryRoot(), "tests", "Notebooks.Tests", "clients", script));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        JupyterNotebookServer.Isolate(start, server.Folder);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} did not finish within 10 minutes:\n{await stderr}\nserver:\n{server.Log}");
        }
        string output = await stdout, errors = await stderr;
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
            Assert.Fail($"{script} exited with {process.ExitCode}\nstdout:\n{output}\nstderr:\n{errors}\nserver:\n{server.Log}");
        return (JsonObject)JsonNode.Parse(line!["RESULT ".Length..])!;
    }
}
