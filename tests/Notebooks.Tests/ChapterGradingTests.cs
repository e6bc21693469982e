using System.Text.RegularExpressions;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Format;
using Xunit.Abstractions;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// The chapters' exercise sets (src/Grading/Chapters), graded through <c>course grade</c> exactly as a learner would,
/// with notebooks/test-parameters.json so each notebook runs on a few images:
/// the reference solution in notebooks/solutions/ passes every check, and the chapter as shipped (stubs) fails every one
/// (<see cref="ShippedChapterGradingTests"/>).
/// The solutions are run only here (not by <see cref="RepositoryNotebookTests"/>, which runs the top level of notebooks/):
/// <see cref="SolutionsDifferFromTheirChapterOnlyInExerciseCells"/> keeps their other cells identical to the chapter's.
/// </summary>
public class ChapterGradingTests(ITestOutputHelper log)
{
    public static TheoryData<string> Chapters => new() { "00-setup-and-threat-models", "01-fgsm", "02-pgd-and-cw", "03-adversarial-training", "04-trades", "05-differential-privacy", "06-federated-learning", "07-certified-robustness-and-black-box", "08-poisoning-stealing-inversion" };

    internal static string NotebooksFolder => Path.Combine(RepositoryRoot(), "notebooks");

    private static string TestParameters => Path.Combine(NotebooksFolder, "test-parameters.json");

    private Task<(int Exit, string Output)> Grade(string notebook) => Grade(log, notebook);

    internal static async Task<(int Exit, string Output)> Grade(ITestOutputHelper log, string notebook)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, error) = await RunCliOnceMoreOnScalarRace(log, "grade", notebook, "--params-file", TestParameters, "--time-limit", "1800"); // stops a hang only; busy machines are slow
        log.WriteLine($"{notebook}: exit {exit} in {clock.Elapsed.TotalSeconds:F0} s\n{output}{error}");
        return (exit, output);
    }

    [Theory]
    [MemberData(nameof(Chapters))]
    public async Task SolutionPassesEveryCheck(string chapter)
    {
        var exercises = CheckRegistry.Default.ExercisesInSet(chapter);
        Assert.NotEmpty(exercises);
        var (exit, output) = await Grade(Path.Combine(NotebooksFolder, "solutions", chapter + ".ipynb"));
        Assert.True(exit == 0, output);
        foreach (string exercise in exercises) Assert.Matches($@"{Regex.Escape(exercise)}\s+PASS", output);
        Assert.Contains($"Score: {exercises.Count}/{exercises.Count}", output);
    }

    [Theory]
    [MemberData(nameof(Chapters))]
    public void SolutionsDifferFromTheirChapterOnlyInExerciseCells(string chapter)
    {
        var shipped = NotebookDocument.Load(Path.Combine(NotebooksFolder, chapter + ".ipynb"));
        var solution = NotebookDocument.Load(Path.Combine(NotebooksFolder, "solutions", chapter + ".ipynb"));
        Assert.Equal(shipped.Cells.Count, solution.Cells.Count);
        var exercises = CheckRegistry.Default.ExercisesInSet(chapter);
        Assert.Equal(exercises, shipped.Cells.Select(c => c.ExerciseId).OfType<string>().Order(StringComparer.Ordinal));
        for (int i = 0; i < shipped.Cells.Count; i++)
        {
            var (a, b) = (shipped.Cells[i], solution.Cells[i]);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(a.ExerciseId, b.ExerciseId);
            if (a.ExerciseId is not null) continue;
            // The solutions sit one folder deeper, so their '#r' path to the helper library has one more '../'.
            Assert.True(a.Source == b.Source.Replace("#r \"../../src/", "#r \"../src/"), $"{chapter}: cell {i + 1} differs between the chapter and its solution");
        }
    }
}

/// <summary>
/// The chapters as shipped (stubs) fail every check of their exercise set. A class of its own so that xUnit runs it
/// beside <see cref="ChapterGradingTests"/> (each grading runs a notebook in a worker process) instead of after it.
/// </summary>
public class ShippedChapterGradingTests(ITestOutputHelper log)
{
    [Theory]
    [MemberData(nameof(ChapterGradingTests.Chapters), MemberType = typeof(ChapterGradingTests))]
    public async Task ShippedChapterFailsEveryCheck(string chapter)
    {
        var exercises = CheckRegistry.Default.ExercisesInSet(chapter);
        var (exit, output) = await ChapterGradingTests.Grade(log, Path.Combine(ChapterGradingTests.NotebooksFolder, chapter + ".ipynb"));
        Assert.Equal(1, exit);
        foreach (string exercise in exercises) Assert.Matches($@"{Regex.Escape(exercise)}\s+FAIL", output);
        Assert.Contains($"Score: 0/{exercises.Count}", output);
        // The stubs compile and throw only when called, or hold a placeholder: the messages say so.
        Assert.Matches("NotImplementedException|NaN", output);
    }
}
