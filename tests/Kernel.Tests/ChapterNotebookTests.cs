using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Parameters;
using Xunit.Abstractions;

namespace ModelSecurity.Kernel.Tests;

/// <summary>
/// Every chapter notebook of notebooks/ (the top level; notebooks/solutions is graded by the Notebooks tests) executed
/// through the course kernel by nbclient, as a Jupyter user or papermill would run it, with the fast parameters of
/// notebooks/test-parameters.json. nbclient injects no parameters, so the test does what papermill (and <c>course run</c>)
/// does: <see cref="NotebookParameters.Inject"/> adds a cell tagged <c>injected-parameters</c> after the cell tagged
/// <c>parameters</c>, and the copy goes to a temporary folder. The kernel runs in notebooks/ so the cells' relative
/// <c>#r "../src/Helpers/bin/Release/net10.0/..."</c> resolve (the helpers must be built in Release).
/// <para>
/// The run stops at the first error (nbclient <c>allow_errors=False</c>) except in cells tagged <c>exercise</c>: the
/// client tags those <c>raises-exception</c> (nbclient then records their error and goes on), and the test accepts only
/// <see cref="NotImplementedException"/> there — the stubs the students fill in. Every other code cell must run without
/// error and produce rich output (text/html) exactly where the committed notebook has it (the committed notebooks were
/// run with the full parameters; only whether a cell has text/html is compared, not how many outputs or what they say).
/// None of the exercise cells throws today (they only define the stubs), so the tolerance is a safety net.
/// The five chapters take 90–155 s in all on a loaded 2-core machine (7–56 s each; 03 and 04 train briefly).
/// </para>
/// </summary>
public class ChapterNotebookTests(ITestOutputHelper log)
{
    private const int CellTimeoutSeconds = 180;

    private static readonly string[] ChapterFiles =
    [
        "00-setup-and-threat-models.ipynb",
        "01-fgsm.ipynb",
        "02-pgd-and-cw.ipynb",
        "03-adversarial-training.ipynb",
        "04-trades.ipynb",
        "05-differential-privacy.ipynb",
        "06-federated-learning.ipynb",
        "07-certified-robustness-and-black-box.ipynb",
        "08-poisoning-stealing-inversion.ipynb",
    ];

    public static TheoryData<string> Chapters() => new(ChapterFiles);

    [Fact]
    public void EveryChapterIsListed()
    {
        var onDisk = Directory.GetFiles(NotebooksFolder, "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(onDisk, ChapterFiles);
    }

    [Theory]
    [MemberData(nameof(Chapters))]
    public async Task ChapterRunsThroughTheKernelWithNbclient(string chapter)
    {
        string committedPath = Path.Combine(NotebooksFolder, chapter);
        var notebook = NotebookDocument.Load(committedPath);
        var committed = CodeCells(JsonNode.Parse(File.ReadAllText(committedPath))!);

        var parameters = TestParameters(chapter);
        Assert.NotEmpty(parameters);
        var injected = NotebookParameters.Inject(notebook, parameters)!;
        injected.Source = "// Parameters injected by Kernel.Tests from notebooks/test-parameters.json (as papermill would).\n" +
                          string.Join("\n", injected.Source.Split('\n').Where(l => !l.StartsWith("//", StringComparison.Ordinal)));
        log.WriteLine(injected.Source);
        string path = Path.Combine(Directory.CreateTempSubdirectory("course-kernel-chapter-").FullName, chapter);
        notebook.Save(path);

        var watch = Stopwatch.StartNew();
        var r = await PythonClient.RunAsync(TimeSpan.FromMinutes(5), "nbclient_chapter.py", path, NotebooksFolder, CellTimeoutSeconds.ToString());
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
            // A committed cell that was never run (outputs cleared) says nothing about the outputs to expect.
            int expected = HtmlOutputs(committed[i]), actual = outputs.Count(IsHtml);
            if (committed[i]["execution_count"] is not null && (expected > 0) != (actual > 0))
                problems.Add($"{where} has {actual} text/html outputs, the committed notebook {expected}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        log.WriteLine($"{chapter}: {ran.Count} code cells, {ran.Count(c => ((JsonArray)c["outputs"]!).Any(o => IsHtml((JsonObject)o!)))} with text/html");
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

    private static List<JsonObject> CodeCells(JsonNode notebook) =>
        ((JsonArray)notebook["cells"]!).Select(c => (JsonObject)c!).Where(c => c.Str("cell_type") == "code").ToList();

    private static List<string> Tags(JsonObject cell) =>
        cell["tags"] is JsonArray tags ? tags.Select(t => (string)t!).ToList()
        : cell["metadata"]?["tags"] is JsonArray meta ? meta.Select(t => (string)t!).ToList() : [];

    private static bool IsHtml(JsonObject output) =>
        output["data"] is JsonObject data && data.ContainsKey("text/html") && !Notebooks.Execution.ProgressDisplay.IsProgress(output); // progress shows only for slow enough cells

    private static int HtmlOutputs(JsonObject cell) =>
        cell["outputs"] is JsonArray outputs ? outputs.Count(o => IsHtml((JsonObject)o!)) : 0;
}
