using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Parameters;
using ModelSecurity.Tests.Shared;
using Xunit.Abstractions;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// Runs every chapter of the repository's notebooks/ folder with <c>course run</c> (outputs go to a temporary folder,
/// the repository is not modified), with the fast parameters of notebooks/test-parameters.json:
/// <c>{"01-intro.ipynb": {"Epochs": 1, "TrainSubset": 2000}}</c>. Every code cell must run without error, the written
/// notebook must be valid nbformat, and each cell must show rich output (text/html) exactly where the committed
/// notebook does (<see cref="RichOutputs"/>).
/// This is the test that executes every cell of every chapter; the kernel's tests (Kernel.Tests) run only a few
/// chapters through Jupyter, since the kernel executes cells with this same engine. The reference solutions in
/// notebooks/solutions/ are run by <see cref="ChapterGradingTests"/>, which grades them.
/// </summary>
public class RepositoryNotebookTests(ITestOutputHelper log)
{
    private static string NotebooksFolder => Path.Combine(RepositoryRoot(), "notebooks");

    public static TheoryData<string> Chapters() =>
        new(Directory.GetFiles(NotebooksFolder, "*.ipynb").Select(f => Path.GetFileName(f)!)
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Chapters))]
    public async Task ChapterRunsWithoutErrorsAndShowsItsOutputs(string chapter)
    {
        string notebook = Path.Combine(NotebooksFolder, chapter);
        string output = Path.Combine(NewDirectory(), chapter);
        // The time limit only stops a hung cell: it is no speed test, and a busy machine may be several times slower.
        var args = new List<string> { "run", notebook, "-o", output, "--cell-timeout", "1800" };
        var parameters = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, JsonElement>>>(
            File.ReadAllText(Path.Combine(NotebooksFolder, "test-parameters.json"))) ?? [];
        Assert.True(parameters.TryGetValue(chapter, out var values), $"notebooks/test-parameters.json has no fast parameters for {chapter}");
        foreach (var (key, value) in values)
            args.AddRange(["--param", $"{key}={(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText())}"]);

        var (exit, _, error) = await RunCliOnceMoreOnScalarRace(log, [.. args]);
        log.WriteLine(error);
        Assert.True(exit == 0, $"{chapter}: exit {exit}\n{error}");
        NbformatValidator.AssertValid(output);

        var committed = RichOutputs.CodeCells(JsonNode.Parse(File.ReadAllText(notebook))!);
        var ran = RichOutputs.CodeCells(JsonNode.Parse(File.ReadAllText(output))!)
            .Where(c => !Tags(c).Contains(NotebookParameters.InjectedTag)).ToList();
        Assert.Equal(committed.Count, ran.Count);
        var problems = new List<string>();
        for (int i = 0; i < ran.Count; i++)
        {
            if (Tags(committed[i]).Contains("exercise")) continue; // the stubs; graded by ChapterGradingTests
            if (RichOutputs.Mismatch(committed[i], ran[i]) is { } mismatch) problems.Add($"code cell {i + 1} {mismatch}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static List<string> Tags(JsonObject cell) =>
        cell["metadata"]?["tags"] is JsonArray tags ? tags.Select(t => (string)t!).ToList() : [];
}
