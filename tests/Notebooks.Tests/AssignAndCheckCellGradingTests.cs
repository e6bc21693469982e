using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// <c>course assign</c> on a small teacher's folder (toy exercises), and check cells in graded submissions: the grade
/// (the CSV of <c>course grade</c>) is the same with and without them.
/// </summary>
public class AssignAndCheckCellGradingTests
{
    private static readonly (string Id, string Right, string Blank)[] Toy =
    [
        ("toy/square", "double Square(double x) => x * x;", "double Square(double x) => throw new NotImplementedException(\"write Square\");"),
        ("toy/clip", "float[] ClipLinf(float[] delta, float epsilon) => delta.Select(d => Math.Clamp(d, -epsilon, epsilon)).ToArray();",
            "float[] ClipLinf(float[] delta, float epsilon) => throw new NotImplementedException(\"write ClipLinf\");"),
        ("toy/argmax", "int ArgMax(float[] s) => Array.IndexOf(s, s.Max());", "int ArgMax(float[] s) => throw new NotImplementedException(\"write ArgMax\");"),
    ];

    /// <summary>A toy chapter: each exercise cell (with a stored output) followed, optionally, by its check cell.</summary>
    private static NotebookDocument Chapter(Func<int, string> code, bool checkCells)
    {
        var notebook = Notebook("Console.WriteLine(\"intro\");");
        notebook.Cells[1].Json["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "intro\n" });
        for (int i = 0; i < Toy.Length; i++)
        {
            var cell = notebook.AddCell(NotebookCellKind.Code, code(i));
            cell.AddTag("exercise");
            cell.Metadata["course"] = new JsonObject { ["exercise"] = Toy[i].Id };
            cell.Json["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "answer output\n" });
            if (!checkCells) continue;
            var check = notebook.AddCell(NotebookCellKind.Code, $"Exercise(\"{Toy[i].Id}\").Check()");
            check.AddTag("check");
            check.Json["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "✔ toy: correct\n" });
        }
        return notebook;
    }

    [Fact]
    public async Task CheckCellsDoNotChangeTheGrade()
    {
        string with = NewDirectory(), without = NewDirectory();
        // Wrong square, right clip, blank argmax; plus a cell that tries to pass by printing what a grader might parse.
        string Code(int i) => i == 0 ? "double Square(double x) => 2 * x;" : i == 1 ? Toy[1].Right : Toy[2].Blank;
        Save(Chapter(Code, checkCells: true), with, "toy.ipynb");
        Save(Chapter(Code, checkCells: false), without, "toy.ipynb");
        var (exitWith, _, errorWith) = await RunCli("grade", with, "-o", Path.Combine(with, "grades.csv"), "--time-limit", "120");
        var (exitWithout, _, errorWithout) = await RunCli("grade", without, "-o", Path.Combine(without, "grades.csv"), "--time-limit", "120");
        Assert.Equal(1, exitWith);
        Assert.Equal(exitWithout, exitWith);
        var rowsWith = File.ReadAllLines(Path.Combine(with, "grades.csv"));
        Assert.Equal(File.ReadAllLines(Path.Combine(without, "grades.csv")), rowsWith);
        Assert.Contains(rowsWith, r => r.StartsWith("toy.ipynb,toy/clip,true,", StringComparison.Ordinal));
        Assert.Contains(rowsWith, r => r.StartsWith("toy.ipynb,toy/square,false,", StringComparison.Ordinal));
        Assert.All(rowsWith.Skip(1), r => Assert.EndsWith(",1/3", r));
        Assert.Contains("toy.ipynb: 1/3", errorWith);
        Assert.Contains("toy.ipynb: 1/3", errorWithout);
    }

    [Fact]
    public async Task AssignWritesAHandoutWithoutSolutionsThatRunsAndGrades()
    {
        string teacher = NewDirectory();
        string notebooks = Path.Combine(teacher, "notebooks");
        Directory.CreateDirectory(Path.Combine(notebooks, "solutions"));
        Directory.CreateDirectory(Path.Combine(notebooks, "hints"));
        Save(Chapter(i => Toy[i].Blank, checkCells: true), notebooks, "toy.ipynb");
        Save(Chapter(i => Toy[i].Right, checkCells: true), Path.Combine(notebooks, "solutions"), "toy.ipynb");
        File.WriteAllText(Path.Combine(notebooks, "hints", "toy.json"), """{"square": ["Multiply x by itself."]}""");
        File.WriteAllText(Path.Combine(teacher, "lib.csx"), "double Twice(double x) => 2 * x;");
        // A relative #load, as the chapters' #r of the helper library: it must still resolve from the handout.
        Assert.True(Save(LoadCell(Chapter(i => Toy[i].Blank, checkCells: true)), notebooks, "toy.ipynb").Length > 0);

        string handout = Path.Combine(NewDirectory(), "deep", "handout");
        var (exit, _, error) = await RunCli("assign", notebooks, "-o", handout);
        Assert.True(exit == 0, error);
        Assert.False(Directory.Exists(Path.Combine(handout, "solutions")));
        Assert.True(File.Exists(Path.Combine(handout, "hints", "toy.json")));
        var written = NotebookDocument.Load(Path.Combine(handout, "toy.ipynb"));
        Assert.All(written.Cells.Where(c => c.HasTag("exercise") || c.HasTag("check")), c => Assert.Empty(c.Outputs));
        Assert.NotEmpty(written.Cells[1].Outputs); // the worked example's output stays
        Assert.DoesNotContain("../lib.csx", written.Cells[1].Source);

        // The handout runs (check cells show ✘ and what to do; hints; no solutions) and grades.
        var (runExit, _, runError) = await RunCli("run", Path.Combine(handout, "toy.ipynb"));
        Assert.True(runExit == 0, runError);
        var ran = NotebookDocument.Load(Path.Combine(handout, "toy.ipynb"));
        string checkOutput = ran.Cells.First(c => c.HasTag("check")).Outputs.ToJsonString();
        Assert.Contains("still blank", checkOutput);
        var (gradeExit, gradeOut, _) = await RunCli("grade", Path.Combine(handout, "toy.ipynb"), "--time-limit", "120");
        Assert.Equal(1, gradeExit);
        Assert.Contains("Score: 0/3", gradeOut);

        var probe = Notebook("Exercise(\"toy/square\").Hint()", "Exercise(\"toy/square\").Solution()");
        string probePath = Save(probe, handout, "probe.ipynb");
        Assert.Equal(0, (await RunCli("run", probePath)).Exit);
        var probed = NotebookDocument.Load(probePath);
        Assert.Contains("Multiply x by itself.", probed.Cells[1].Outputs.ToJsonString());
        Assert.Contains("this handout has no solutions", probed.Cells[2].Outputs.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        // --no-hints leaves them out; a notebook whose exercise cell is the solution is refused.
        string bare = Path.Combine(NewDirectory(), "handout");
        Assert.Equal(0, (await RunCli("assign", notebooks, "-o", bare, "--no-hints")).Exit);
        Assert.False(Directory.Exists(Path.Combine(bare, "hints")));
        Save(Chapter(i => Toy[i].Right, checkCells: true), notebooks, "toy.ipynb");
        var (leakExit, _, leakError) = await RunCli("assign", notebooks, "-o", Path.Combine(NewDirectory(), "handout"));
        Assert.Equal(2, leakExit);
        Assert.Contains("is the reference solution", leakError);
    }

    private static NotebookDocument LoadCell(NotebookDocument notebook)
    {
        notebook.Cells[1].Source = "#load \"../lib.csx\"\nConsole.WriteLine(\"intro \" + Twice(1));";
        return notebook;
    }
}
