using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// <c>Exercise("...").Check()/.Hint()/.Solution()</c> in a notebook engine, on the toy exercise set (fast): the check sees
/// the cells run before it, words failures for the learner, and is inert on the grading host.
/// </summary>
public class ExerciseCellTests
{
    private static string Html(CellOutput output) =>
        output is DisplayOutput d && d.Value.Data.TryGetValue("text/html", out string? html) ? html : "";

    private static string Text(IEnumerable<CellOutput> outputs) => string.Join("\n", outputs.Select(Plain));

    [Fact]
    public async Task CheckSeesTheCurrentDefinitionsAndSaysWhatIsWrong()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "Exercise(\"toy/square\").Check()",
            "double Square(double x) => throw new NotImplementedException(\"Exercise: write Square.\");",
            "Exercise(\"toy/square\").Check()",
            "double Square(double x) => 2 * x;",
            "Exercise(\"toy/square\").Check();",
            "double Square(double x) => x * x;",
            "Exercise(\"toy/square\").Check()",
            "Exercise(\"toy/sqare\").Check()");
        Assert.All(cells, c => Assert.Equal(CellStatus.Succeeded, c.Result.Status));

        string undefined = Text(cells[0].Outputs);
        Assert.StartsWith("✘ toy/square", undefined);
        Assert.Contains("define Square in the exercise cell above and run that cell first", undefined);

        string blank = Text(cells[2].Outputs);
        Assert.Contains("the exercise is still blank", blank);
        Assert.Contains("Replace the `throw`", blank);
        Assert.DoesNotContain("   at ", blank); // no stack trace

        string wrong = Text(cells[4].Outputs);
        Assert.Contains("Square(3) returned 6, expected 9.", wrong);
        Assert.Contains(".Hint()", wrong);
        Assert.Contains("✘", Html(cells[4].Outputs[0]));

        string right = Text(cells[6].Outputs);
        Assert.StartsWith("✔ toy/square: correct", right);
        Assert.Contains("Square is right on 25 inputs (20 of them random)", right);
        Assert.Contains("✔", Html(cells[6].Outputs[0]));

        Assert.Contains("the exercises of toy are", Text(cells[7].Outputs));

        // The checks branched off the state: later cells still see the learner's last definitions.
        var after = await RunCells(engine, "Square(1.5)");
        Assert.Equal("2.25", Plain(Assert.Single(after[0].Outputs)));
    }

    [Fact]
    public async Task ACheckInsideTheLearnersCodeIsRefusedNotRecursed()
    {
        var cells = await RunCells(Engine(),
            "double Square(double x) { Exercise(\"toy/square\").Check(); return x * x; }",
            "Exercise(\"toy/square\").Check()");
        Assert.Equal(CellStatus.Succeeded, cells[1].Result.Status);
        Assert.Contains(cells[1].Outputs, o => Plain(o).StartsWith("A check is already running", StringComparison.Ordinal));
        Assert.StartsWith("✔ toy/square: correct", Plain(cells[1].Outputs[^1]));
    }

    [Fact]
    public async Task AWrongSignatureIsNamed()
    {
        var cells = await RunCells(Engine(), "int Square(int x) => x * x;", "Exercise(\"toy/square\").Check()");
        Assert.Contains("does not have the form the exercise asks for (a method (Double) → Double)", Text(cells[1].Outputs));
    }

    [Fact]
    public async Task LearnerExceptionsNameTheirCellLineNotTheGrader()
    {
        var cells = await RunCells(Engine(),
            "double Square(double x)\n{\n    var a = new double[1];\n    return a[(int)x];\n}",
            "Exercise(\"toy/square\").Check()");
        string text = Text(cells[1].Outputs);
        Assert.Contains("your code threw IndexOutOfRangeException", text);
        Assert.True(text.Contains("at cell 1, line "), text); // the learner's cell (the exact line depends on the optimizer)
        Assert.DoesNotContain("ToyChecks", text);
    }

    [Fact]
    public async Task OnTheGradingHostChecksHintsAndSolutionsOnlyPrintANote()
    {
        var engine = new NotebookEngine(new EngineOptions { BaseDirectory = NewDirectory(), NotebookName = "t.ipynb", Host = NotebookHost.Grader });
        var cells = await RunCells(engine, "double Square(double x) => 2 * x;",
            "Exercise(\"toy/square\").Check()", "Exercise(\"toy/square\").Solution()");
        Assert.Equal("toy/square: checks run by the grader (this cell does not count).", Text(cells[1].Outputs));
        Assert.Contains("not shown while grading", Text(cells[2].Outputs));
    }

    [Fact]
    public async Task TheRunnerPassesTheGradingHostToItsEngine()
    {
        // The grading worker runs submissions through NotebookRunner: RunOptions.Host reaches the check cells.
        var notebook = Notebook("double Square(double x) => 2 * x;", "Exercise(\"toy/square\").Check()");
        var runner = new Running.NotebookRunner(notebook, new Running.RunOptions { Host = NotebookHost.Grader });
        var summary = await runner.RunAsync();
        Assert.Equal(Running.RunOutcome.Succeeded, summary.Outcome);
        Assert.Contains("checks run by the grader", notebook.Cells[2].Outputs.ToJsonString());
        Assert.Equal(NotebookHost.Interactive, new Running.NotebookRunner(Notebook("1")).Engine.Host);
    }

    [Fact]
    public async Task HintsAreProgressiveAndSolutionsComeFromTheSolutionNotebook()
    {
        string dir = NewDirectory();
        Directory.CreateDirectory(Path.Combine(dir, "hints"));
        File.WriteAllText(Path.Combine(dir, "hints", "toy.json"), """{"$comment": "teacher's notes", "square": ["Multiply.", "`x * x`"]}""");
        var solution = Notebook("double Square(double x) => x * x; // reference");
        solution.Cells[1].AddTag("exercise");
        solution.Cells[1].Metadata["course"] = new System.Text.Json.Nodes.JsonObject { ["exercise"] = "toy/square" };
        Directory.CreateDirectory(Path.Combine(dir, "solutions"));
        Save(solution, Path.Combine(dir, "solutions"), "toy.ipynb");

        var cells = await RunCells(Engine(dir),
            "Exercise(\"toy/square\").Hint()", "Exercise(\"toy/square\").Hint()", "Exercise(\"toy/square\").Hint()",
            "Exercise(\"toy/square\").Hint(1)", "Exercise(\"toy/square\").Hint(3)", "Exercise(\"toy/square\").Solution()",
            "Exercise(\"toy/clip\").Hint()");
        Assert.StartsWith("Hint 1 of 2 for toy/square:\nMultiply.", Text(cells[0].Outputs));
        Assert.StartsWith("Hint 2 of 2 for toy/square:\n`x * x`", Text(cells[1].Outputs));
        Assert.Contains("That was the last hint", Text(cells[2].Outputs));
        Assert.StartsWith("Hint 1 of 2", Text(cells[3].Outputs));
        Assert.Contains("has 2 hints", Text(cells[4].Outputs));
        Assert.Contains("double Square(double x) => x * x; // reference", Text(cells[5].Outputs));
        string html = Html(cells[5].Outputs[0]);
        Assert.Contains("<span style=\"color:#0000ff\">double</span>", html);
        Assert.Contains("// reference", html);
        Assert.Contains("No hints are written for toy/clip", Text(cells[6].Outputs));

        // A handout without solutions/ and hints/.
        var bare = await RunCells(Engine(), "Exercise(\"toy/square\").Solution()", "Exercise(\"toy/square\").Hint()");
        Assert.Equal("This handout has no solutions; ask your teacher.", Text(bare[0].Outputs));
        Assert.Equal("This handout has no hints; ask your teacher.", Text(bare[1].Outputs));
    }
}

public class CSharpHighlighterTests
{
    [Theory]
    [InlineData("#r \"nuget: X, 1.0\"\n/// <summary>doc</summary>\ndouble F(double x) => x * 2.5; // note\n/* block */ var s = $\"a{1}b\" + 'c';")]
    [InlineData("#if DEBUG\nint a = 1;\n#endif\nstring t = \"\"\"\n  raw\n  \"\"\";")]
    [InlineData("int Broken( => ;")]
    public void HighlightingKeepsTheCodeExactly(string code)
    {
        string html = Formatting.CSharpHighlighter.ToHtml(code);
        string text = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(html, "<[^>]+>", ""));
        Assert.Equal(code, text);
    }

    [Fact]
    public void EveryReferenceSolutionIsShownExactly()
    {
        string notebooks = Path.Combine(RepositoryRoot(), "notebooks");
        foreach (string id in Grading.CheckRegistry.Default.Exercises.Where(e => !e.StartsWith("toy/", StringComparison.Ordinal)))
            HighlightingKeepsTheCodeExactly(Scripting.ExerciseMaterials.SolutionCode(notebooks, id)!);
    }

    [Fact]
    public void KeywordsLiteralsAndCommentsAreColoured()
    {
        string html = Formatting.CSharpHighlighter.ToHtml("double x = 2.5; // c\nvar s = \"t\";");
        Assert.Contains("<span style=\"color:#0000ff\">double</span>", html);
        Assert.Contains("<span style=\"color:#098658\">2.5</span>", html);
        Assert.Contains("<span style=\"color:#008000\">// c</span>", html);
        Assert.Contains("<span style=\"color:#a31515\">&quot;t&quot;</span>", html);
        Assert.Contains("<span style=\"color:#0000ff\">var</span>", html);
    }
}
