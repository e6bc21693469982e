using System.Text.Json;
using Xunit.Abstractions;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// Runs every notebook of the repository's notebooks/ folder (outputs go to a temporary folder, the repository is
/// not modified), with fast parameters from notebooks/test-parameters.json when present:
/// <c>{"01-intro.ipynb": {"Epochs": 1, "TrainSubset": 2000}}</c>.
/// Only the top level of notebooks/ runs here: the reference solutions in notebooks/solutions/ are run by
/// <see cref="ChapterGradingTests"/>, which grades them and requires every exercise to pass.
/// </summary>
public class RepositoryNotebookTests(ITestOutputHelper log)
{
    [Fact]
    public async Task EveryCourseNotebookRunsWithoutErrors()
    {
        string folder = Path.Combine(RepositoryRoot(), "notebooks");
        var notebooks = Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*.ipynb").Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList()
            : [];
        if (notebooks.Count == 0)
        {
            log.WriteLine($"No notebooks in {folder} yet: nothing to run.");
            return;
        }

        var parameters = new Dictionary<string, Dictionary<string, JsonElement>>();
        string parametersFile = Path.Combine(folder, "test-parameters.json");
        if (File.Exists(parametersFile))
            parameters = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, JsonElement>>>(File.ReadAllText(parametersFile)) ?? [];

        string output = NewDirectory();
        var failures = new List<string>();
        foreach (string notebook in notebooks)
        {
            string name = Path.GetFileName(notebook);
            var args = new List<string> { "run", notebook, "-o", Path.Combine(output, name) };
            if (parameters.TryGetValue(name, out var values))
                foreach (var (key, value) in values)
                    args.AddRange(["--param", $"{key}={(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText())}"]);
            var (exit, _, error) = await RunCli([.. args]);
            log.WriteLine(error);
            if (exit != 0) failures.Add($"{name}: exit {exit}\n{error}");
            else NbformatValidator.AssertValid(Path.Combine(output, name));
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}
