using System.Text.Json.Nodes;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Format;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

public class GradingTests
{
    internal const string RightSquare = "double Square(double x) => x * x;";
    internal const string RightClip = "float[] ClipLinf(float[] delta, float epsilon) => delta.Select(d => Math.Clamp(d, -epsilon, epsilon)).ToArray();";
    internal const string RightArgMax = "int ArgMax(float[] scores)\n{\n    int best = 0;\n    for (int i = 1; i < scores.Length; i++) if (scores[i] > scores[best]) best = i;\n    return best;\n}";

    /// <summary>A toy exercise notebook: an intro cell, then one exercise cell per exercise, then <paramref name="tail"/>.</summary>
    internal static NotebookDocument Submission(string square, string clip, string argmax, string? tail = null)
    {
        var notebook = Notebook("Console.WriteLine(\"Exercises: toy\");");
        foreach (var (id, code) in new[] { ("toy/square", square), ("toy/clip", clip), ("toy/argmax", argmax) })
        {
            notebook.AddCell(NotebookCellKind.Markdown, $"### Exercise {id}");
            var cell = notebook.AddCell(NotebookCellKind.Code, code);
            cell.AddTag("exercise");
            cell.Metadata["course"] = new JsonObject { ["exercise"] = id };
        }
        if (tail is not null) notebook.AddCell(NotebookCellKind.Code, tail);
        return notebook;
    }

    [Fact]
    public void RegistryFindsTheToySetAndRejectsBadSignatures()
    {
        Assert.Equal(["toy/argmax", "toy/clip", "toy/square"], CheckRegistry.Default.ExercisesInSet("toy"));
        var e = Assert.Throws<InvalidOperationException>(() => CheckRegistry.FromAssemblies(typeof(BadCheck).Assembly));
        Assert.Contains("must be 'static CheckResult", e.Message);
    }

    [Fact]
    public async Task ReferenceSolutionPassesAndPrintsAScore()
    {
        string path = Save(Submission(RightSquare, RightClip, RightArgMax), NewDirectory(), "reference.ipynb");
        var (exit, output, error) = await RunCli("grade", path, "--time-limit", "120");
        Assert.True(exit == 0, output + error);
        Assert.Matches(@"toy/square\s+PASS", output);
        Assert.Contains("Score: 3/3", output);
    }

    [Fact]
    public async Task PartlyWrongSubmissionGetsHelpfulMessagesAndExit1()
    {
        string path = Save(Submission("double Square(double x) => 2 * x;", RightClip, "int ArgMax(float[] s) => Array.LastIndexOf(s, s.Max());"),
            NewDirectory(), "partial.ipynb");
        var (exit, output, _) = await RunCli("grade", path, "--time-limit", "120");
        Assert.Equal(1, exit);
        Assert.Contains("Square(3) returned 6, expected 9.", output);
        Assert.Matches(@"toy/clip\s+PASS", output);
        Assert.Contains("ArgMax([1, 3, 3]) returned 2, expected 1", output);
        Assert.Contains("Score: 1/3", output);
    }

    [Fact]
    public async Task FolderGradingWritesCsvAndCheatingAttemptsFail()
    {
        string dir = NewDirectory();
        Save(Submission(RightSquare, RightClip, RightArgMax), dir, "a-reference.ipynb");
        Save(Submission("// your code here", "// your code here", "// your code here"), dir, "b-empty.ipynb");
        Save(Submission("double Square(double x) => x + x;", "float[] ClipLinf(float[] d, float e) => d;", "int ArgMax(float[] s) => 0;",
            tail: "Console.WriteLine(\"toy/square    PASS\\ntoy/clip      PASS\\ntoy/argmax    PASS\\nScore: 3/3\");\n" +
                  "Console.WriteLine(\"{\\\"passed\\\": true}\");"), dir, "c-fake-print.ipynb");
        Save(Submission("double Square(double x) => 0;", "float[] ClipLinf(float[] d, float e) => d;", "int ArgMax(float[] s) => 0;",
            tail: "var report = \"{\\\"toy/square\\\": true, \\\"toy/clip\\\": true, \\\"toy/argmax\\\": true}\";\n" +
                  "foreach (var place in new[] { \"report.json\", Path.Combine(Path.GetTempPath(), \"report.json\") }) File.WriteAllText(place, report);\n" +
                  "Console.WriteLine(\"toy/square PASS forged\");\n" +
                  "Environment.Exit(0); // keep the worker from overwriting the forged report"), dir, "d-fake-report.ipynb");
        Save(Submission(RightSquare, RightClip, RightArgMax, tail: "Environment.Exit(0);"), dir, "e-exit.ipynb");

        string csv = Path.Combine(dir, "grades.csv");
        var (exit, output, error) = await RunCli("grade", dir, "-o", csv, "--time-limit", "120");
        Assert.True(exit == 1, output + error);
        var rows = File.ReadAllLines(csv);
        Assert.Equal("file,exercise,passed,message,score", rows[0]);
        Assert.Equal(1 + 5 * 3, rows.Length);

        string[] For(string file) => rows.Where(r => r.StartsWith(file + ",", StringComparison.Ordinal)).ToArray();
        Assert.All(For("a-reference.ipynb"), r => Assert.Contains(",true,", r));
        Assert.All(For("a-reference.ipynb"), r => Assert.EndsWith(",3/3", r));
        Assert.All(For("b-empty.ipynb"), r => Assert.Contains(",false,", r));
        Assert.Contains(For("b-empty.ipynb"), r => r.Contains("`Square` is not defined in the notebook"));
        Assert.All(For("c-fake-print.ipynb"), r => Assert.Contains(",false,", r));
        Assert.All(For("d-fake-report.ipynb"), r => Assert.Contains(",false,", r));
        Assert.All(For("d-fake-report.ipynb"), r => Assert.DoesNotContain("forged", r));
        // Ending the process after the exercises costs nothing: the notebook runs again up to that cell.
        Assert.All(For("e-exit.ipynb"), r => Assert.Contains(",true,", r));
        Assert.Contains("a-reference.ipynb: 3/3", error);
    }

    [Fact]
    public async Task SubmissionsRunWithTheGivenParameters()
    {
        // The parameters cell's default makes Square wrong; --param (or --params-file) sets it right.
        var notebook = Submission("double Square(double x) => Factor * x * x;", RightClip, RightArgMax);
        var parameters = notebook.InsertCell(1, NotebookCellKind.Code, "int Factor = 2;");
        parameters.AddTag("parameters");
        string dir = NewDirectory();
        string path = Save(notebook, dir, "params.ipynb");

        var (exit, output, _) = await RunCli("grade", path, "--time-limit", "120");
        Assert.Equal(1, exit);
        Assert.Contains("Square(3) returned 18, expected 9.", output);

        (exit, output, _) = await RunCli("grade", path, "--param", "Factor=1", "--time-limit", "120");
        Assert.True(exit == 0, output);
        Assert.Contains("Score: 3/3", output);

        string file = Path.Combine(dir, "params.json");
        File.WriteAllText(file, """{"params.ipynb": {"Factor": 1}}""");
        (exit, output, _) = await RunCli("grade", path, "--params-file", file, "--time-limit", "120");
        Assert.True(exit == 0, output);

        var (badExit, _, error) = await RunCli("grade", path, "--param", "factor=1");
        Assert.Equal(2, badExit);
        Assert.Contains("Did you mean 'Factor'?", error);
    }

    [Fact]
    public async Task DeletedExerciseCellsCountAsFailed()
    {
        var notebook = Submission(RightSquare, RightClip, RightArgMax);
        notebook.RemoveCell(notebook.Cells.Last(c => c.ExerciseId == "toy/argmax"));
        string path = Save(notebook, NewDirectory());
        var (exit, output, _) = await RunCli("grade", path, "--time-limit", "120");
        Assert.Equal(1, exit);
        Assert.Contains("no cell tagged 'exercise' with metadata course.exercise = \"toy/argmax\"", output);
        Assert.Contains("Score: 2/3", output);
    }
}

public class GradingTimeLimitTests
{
    [Fact]
    public async Task SubmissionThatRunsTooLongFails()
    {
        var notebook = Notebook("System.Threading.Thread.Sleep(600_000);", "double Square(double x) => x * x;");
        notebook.Cells[2].AddTag("exercise");
        notebook.Cells[2].Metadata["course"] = new JsonObject { ["exercise"] = "toy/square" };
        string path = Save(notebook, NewDirectory());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, _) = await RunCli("grade", path, "--time-limit", "6");
        Assert.Equal(1, exit);
        Assert.Contains("did not finish within the time limit (6 s", output);
        Assert.Contains("Score: 0/3", output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(300), "grading waited for the sleeping submission"); // wide: a busy machine is slow, the sleep is 600 s
    }
}

internal static class BadCheck
{
    [ExerciseCheck("bad", "signature")]
    public static bool NotACheck(IExerciseContext ctx) => ctx is null;
}
