using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Parameters;
using ModelSecurity.Tests.Shared;
using Xunit.Abstractions;

namespace ModelSecurity.Kernel.Tests;

/// <summary>
/// Chapter notebooks of notebooks/ executed through the course kernel by nbclient, as a Jupyter user or papermill would
/// run them, with the fast parameters of notebooks/test-parameters.json. Two chapters suffice here: the kernel executes
/// cells with the same engine as <c>course run</c>, and Notebooks.Tests' RepositoryNotebookTests runs every cell of every
/// chapter through that engine with the same checks (no error, rich output where the committed notebook has it). What
/// only this test covers is the Jupyter path: messages, display data, parameters injected as papermill does, the
/// exercise-cell tolerance. 00 is the setup chapter (first restore, data, the shipped model); 04 trains and charts.
/// nbclient injects no parameters, so the test does what papermill (and <c>course run</c>)
/// does: <see cref="NotebookParameters.Inject"/> adds a cell tagged <c>injected-parameters</c> after the cell tagged
/// <c>parameters</c>, and the copy goes to a temporary folder. The kernel runs in notebooks/ so the cells' relative
/// <c>#r "../src/Helpers/bin/Release/net10.0/..."</c> resolve (the helpers must be built in Release).
/// <para>
/// The run stops at the first error (nbclient <c>allow_errors=False</c>) except in cells tagged <c>exercise</c>: the
/// client tags those <c>raises-exception</c> (nbclient then records their error and goes on), and the test accepts only
/// <see cref="NotImplementedException"/> there — the stubs the students fill in. Every other code cell must run without
/// error and produce rich output (text/html) exactly where the committed notebook has it (<see cref="RichOutputs"/>).
/// None of the exercise cells throws today (they only define the stubs), so the tolerance is a safety net.
/// </para>
/// </summary>
public class ChapterNotebookTests(ITestOutputHelper log)
{
    // Limits that only stop a hang: no speed test, and a busy machine may be several times slower.
    private const int CellTimeoutSeconds = 900;

    private static readonly string[] KernelChapters = ["00-setup-and-threat-models.ipynb", "04-trades.ipynb"];

    public static TheoryData<string> Chapters() => new(KernelChapters);

    [Theory]
    [MemberData(nameof(Chapters))]
    public async Task ChapterRunsThroughTheKernelWithNbclient(string chapter)
    {
        string committedPath = Path.Combine(NotebooksFolder, chapter);
        var notebook = NotebookDocument.Load(committedPath);
        var committed = RichOutputs.CodeCells(JsonNode.Parse(File.ReadAllText(committedPath))!);

        var parameters = TestParameters(chapter);
        Assert.NotEmpty(parameters);
        var injected = NotebookParameters.Inject(notebook, parameters)!;
        injected.Source = "// Parameters injected by Kernel.Tests from notebooks/test-parameters.json (as papermill would).\n" +
                          string.Join("\n", injected.Source.Split('\n').Where(l => !l.StartsWith("//", StringComparison.Ordinal)));
        log.WriteLine(injected.Source);
        string path = Path.Combine(Directory.CreateTempSubdirectory("course-kernel-chapter-").FullName, chapter);
        notebook.Save(path);

        var watch = Stopwatch.StartNew();
        var r = await PythonClient.RunAsync(TimeSpan.FromMinutes(30), "nbclient_chapter.py", path, NotebooksFolder, CellTimeoutSeconds.ToString());
        log.WriteLine($"{chapter}: {watch.Elapsed.TotalSeconds:F1} s in all, {(double)r["seconds"]!:F1} s executing cells");

        var ran = ((JsonArray)r["cells"]!).Select(c => (JsonObject)c!).ToList();
        Assert.Equal(committed.Count + 1, ran.Count);
        var injectedRun = ran.Single(c => Tags(c).Contains(NotebookParameters.InjectedTag));
        Assert.Empty((JsonArray)injectedRun["outputs"]!);
        ran.Remove(injectedRun);

        var problems = new List<string>();
        for (int i = 0; i < ran.Count; i++)
        {
            var cell = ran[i];
            var outputs = ((JsonArray)cell["outputs"]!).Select(o => (JsonObject)o!).ToList();
            var errors = outputs.Where(o => o.Str("output_type") == "error").ToList();
            string where = $"code cell {i + 1} (execution {cell["count"]})";
            if (Tags(cell).Contains("exercise"))
            {
                log.WriteLine($"{where}, an exercise: " + (errors.Count == 0 ? "ran without error" : "raised " + string.Join(", ", errors.Select(e => e.Str("ename")))));
                foreach (var error in errors.Where(e => !e.Str("ename").Contains(nameof(NotImplementedException), StringComparison.Ordinal)))
                    problems.Add($"{where}, an exercise, raised {error.Str("ename")}: {error.Str("evalue")}");
                continue;
            }
            if (cell["count"] is null) problems.Add($"{where} did not run");
            foreach (var error in errors) problems.Add($"{where} raised {error.Str("ename")}: {error.Str("evalue")}");
            if (RichOutputs.Mismatch(committed[i], cell) is { } mismatch) problems.Add($"{where} {mismatch}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        log.WriteLine($"{chapter}: {ran.Count} code cells, {ran.Count(c => RichOutputs.HtmlOutputs(c) > 0)} with text/html");
    }

    private static string NotebooksFolder { get; } = Path.Combine(RepositoryRoot(), "notebooks");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Course.sln above {AppContext.BaseDirectory}");
    }

    private static List<KeyValuePair<string, string>> TestParameters(string chapter)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(NotebooksFolder, "test-parameters.json")));
        return doc.RootElement.TryGetProperty(chapter, out var values)
            ? values.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name,
                p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())).ToList()
            : [];
    }

    private static List<string> Tags(JsonObject cell) =>
        cell["tags"] is JsonArray tags ? tags.Select(t => (string)t!).ToList()
        : cell["metadata"]?["tags"] is JsonArray meta ? meta.Select(t => (string)t!).ToList() : [];
}
