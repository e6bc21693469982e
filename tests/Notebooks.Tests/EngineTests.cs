using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

public class EngineTests
{
    [Fact]
    public async Task StateIsSharedAcrossCells()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "var count = 40;\nint Twice(int x) => 2 * x;",
            "count += 2;",
            "record Point(int X, int Y);",
            "$\"{count} {Twice(count)} {new Point(1, 2)}\"");
        Assert.All(cells, c => Assert.Equal(CellStatus.Succeeded, c.Result.Status));
        var result = Assert.IsType<DisplayOutput>(Assert.Single(cells[3].Outputs));
        Assert.True(result.IsResult);
        Assert.Equal("42 84 Point { X = 1, Y = 2 }", Plain(result));
        Assert.Equal(4, engine.ExecutionCount);
    }

    [Fact]
    public async Task ConsoleOutputIsCapturedPerCellAndOrderedWithDisplays()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "Console.WriteLine(\"before\");\ndisplay(\"shown\");\nConsole.Write(\"after\");\nConsole.Error.WriteLine(\"warning\");",
            "Console.WriteLine(\"second cell\");");
        var outputs = cells[0].Outputs;
        Assert.Equal(4, outputs.Count);
        Assert.Equal(new StreamOutput("stdout", "before\n"), outputs[0]);
        Assert.Equal("shown", Plain(outputs[1]));
        Assert.Equal(new StreamOutput("stderr", "warning\n"), outputs[2]);
        Assert.Equal(new StreamOutput("stdout", "after"), outputs[3]);
        Assert.Equal(new StreamOutput("stdout", "second cell\n"), Assert.Single(cells[1].Outputs));
    }

    [Fact]
    public async Task TrailingExpressionBecomesAResultButStatementsDoNot()
    {
        var engine = Engine();
        var cells = await RunCells(engine, "1 + 2", "var y = 5;", "y", "string s = null!; s", "Console.Write(\"\")");
        Assert.Equal("3", Plain(Assert.Single(cells[0].Outputs)));
        Assert.Empty(cells[1].Outputs);
        Assert.Equal("5", Plain(Assert.Single(cells[2].Outputs)));
        Assert.Empty(cells[3].Outputs); // null results are not shown
        Assert.Empty(cells[4].Outputs); // nor void calls
    }

    [Fact]
    public async Task DisplayExtensionAndMimeTypesWorkWithoutUsings()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "42.Display();\ndisplay(\"<b>bold</b>\", \"text/html\");\n\"<i>x</i>\".DisplayAs(\"text/html\");\nvar d = display(\"step 1\");\nd.Update(\"step 2\");");
        var outputs = cells[0].Outputs.Cast<DisplayOutput>().ToList();
        Assert.Equal(4, outputs.Count);
        Assert.Equal("42", outputs[0].Value.Data["text/plain"]);
        Assert.Equal("<b>bold</b>", outputs[1].Value.Data["text/html"]);
        Assert.Equal("bold", outputs[1].Value.Data["text/plain"]); // HTML shown as a string gets readable text too
        Assert.Equal(new[] { "text/html", "text/plain" }, outputs[2].Value.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("step 2", outputs[3].Value.Data["text/plain"]);
    }

    [Fact]
    public async Task RuntimeErrorPointsAtCellAndLine()
    {
        var engine = Engine();
        var sink = new CellOutputCollector();
        var result = await engine.ExecuteAsync("var a = 1;\nint Fail() =>\n    throw new InvalidOperationException(\"boom\");\nFail();", sink,
            new CellRunOptions { CellNumber = 7 });
        Assert.Equal(CellStatus.Failed, result.Status);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(sink.Outputs));
        Assert.Equal("System.InvalidOperationException", error.EName);
        Assert.Equal("boom", error.EValue);
        Assert.StartsWith("cell 7, line 3: System.InvalidOperationException: boom", error.Traceback[0]);
        Assert.Contains(error.Traceback, l => l.Contains("Fail() in cell 7, line 3"));
        Assert.Contains(error.Traceback, l => l.Contains("<cell code> in cell 7, line 4"));
        Assert.DoesNotContain(error.Traceback, l => l.Contains("Microsoft.CodeAnalysis"));
        // Definitions made before the exception stay available.
        var next = await RunCells(engine, "a + 1");
        Assert.Equal("2", Plain(Assert.Single(next[0].Outputs)));
    }

    [Theory]
    [InlineData("Expected false to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)\nException raised from toFloat at /pytorch/c10/core/Scalar.h:140", true)]
    [InlineData("Unknown scalar type.\nException raised from type at /pytorch/c10/core/Scalar.h:339 (most recent call first):", true)]
    [InlineData("Expected a proper Tensor but got None", false)]
    public async Task TheTorchSharpScalarRaceIsExplainedAndOtherNativeErrorsAreNot(string message, bool explained)
    {
        var engine = Engine();
        var sink = new CellOutputCollector();
        string literal = SymbolDisplay(message);
        var result = await engine.ExecuteAsync($"throw new System.Runtime.InteropServices.ExternalException({literal});", sink, new CellRunOptions { CellNumber = 4 });
        Assert.Equal(CellStatus.Failed, result.Status);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(sink.Outputs));
        Assert.Equal(explained, error.Traceback.Contains(ModelSecurity.Notebooks.Execution.TorchSharpScalarRace.Explanation));
        Assert.Equal(explained, ModelSecurity.Notebooks.Execution.TorchSharpScalarRace.Matches($"cell 4: System.Runtime.InteropServices.ExternalException: {message}"));
    }

    private static string SymbolDisplay(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

    [Fact]
    public async Task CompileErrorsReportLinesOfTheCellEvenAfterStrippedDirectives()
    {
        var engine = Engine();
        var sink = new CellOutputCollector();
        string code = "#!csharp\n#i \"nuget: https://example.invalid/v3/index.json\"\nvar ok = 1;\n\nint bad = \"text\";\nvar also = undefinedName;";
        var result = await engine.ExecuteAsync(code, sink, new CellRunOptions { CellNumber = 3 });
        Assert.Equal(CellStatus.Failed, result.Status);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(sink.Outputs));
        Assert.Equal("CompilationError", error.EName);
        Assert.StartsWith("cell 3, line 5, column 11: error CS0029", error.Traceback[0]);
        Assert.Equal("    int bad = \"text\";", error.Traceback[1]);
        Assert.Equal("              ^", error.Traceback[2]);
        Assert.Contains(error.Traceback, l => l.StartsWith("cell 3, line 6, column 12: error CS0103", StringComparison.Ordinal));
        Assert.Equal(error.Traceback[0], error.EValue);
    }

    [Theory]
    [InlineData("#!fsharp\nlet x = 1", "this engine runs C# only")]
    [InlineData("// comment\n#!pwsh\nGet-ChildItem", "this engine runs C# only")]
    [InlineData("#!javascript\nconsole.log(1)", "this engine runs C# only")]
    [InlineData("#!sql\nSELECT 1", "this engine runs C# only")]
    [InlineData("#!time\nvar x = 1;", "magic command '#!time' is not supported")]
    public async Task OtherLanguagesAreRejectedClearly(string code, string expected)
    {
        var sink = new CellOutputCollector();
        var result = await Engine().ExecuteAsync(code, sink);
        Assert.Equal(CellStatus.Rejected, result.Status);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(sink.Outputs));
        Assert.Contains(expected, error.EValue);
    }

    [Fact]
    public async Task KernelNameInMetadataIsHonoured()
    {
        var engine = Engine();
        var sink = new CellOutputCollector();
        var rejected = await engine.ExecuteAsync("let x = 1", sink, new CellRunOptions { KernelName = "fsharp" });
        Assert.Equal(CellStatus.Rejected, rejected.Status);
        Assert.Contains("'fsharp' kernel", ((ErrorOutput)sink.Outputs[0]).EValue);
        var accepted = await engine.ExecuteAsync("#!csharp\n1 + 1", new CellOutputCollector(), new CellRunOptions { KernelName = "csharp" });
        Assert.Equal(CellStatus.Succeeded, accepted.Status);
    }

    [Fact]
    public async Task LoadDirectiveIsRelativeToTheNotebook()
    {
        string dir = NewDirectory();
        Directory.CreateDirectory(Path.Combine(dir, "lib"));
        File.WriteAllText(Path.Combine(dir, "lib", "helpers.csx"), "int Triple(int x) => 3 * x;\n");
        var engine = Engine(dir);
        var cells = await RunCells(engine, "#load \"lib/helpers.csx\"\nTriple(14)");
        Assert.Equal(CellStatus.Succeeded, cells[0].Result.Status);
        Assert.Equal("42", Plain(Assert.Single(cells[0].Outputs)));
    }

    [Fact]
    public async Task ReferenceByPathReusesTheEngineCopyOfTheAssembly()
    {
        // Copy the helper library next to the notebook, as a course folder would have it, and #r it by relative path.
        string dir = NewDirectory();
        string helpers = typeof(ModelSecurity.Plots.PngImage).Assembly.Location;
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        File.Copy(helpers, Path.Combine(dir, "bin", "ModelSecurity.Helpers.dll"));
        var engine = Engine(dir);
        var cells = await RunCells(engine,
            "#r \"bin/ModelSecurity.Helpers.dll\"\nusing ModelSecurity.Plots;\nvar image = PngImage.FromGray(new float[] { 1f }, 1, 1);\n",
            "typeof(PngImage).Assembly.Location",
            "image");
        Assert.All(cells, c => Assert.Equal(CellStatus.Succeeded, c.Result.Status));
        Assert.Equal(helpers, Plain(cells[1].Outputs[0]));
        // Same type identity: the engine's PNG formatter recognises the notebook's image.
        Assert.True(((DisplayOutput)cells[2].Outputs[0]).Value.Data.ContainsKey("image/png"));
    }

    [Fact]
    public async Task TorchSharpInNotebooksIsTheEnginesAssembly()
    {
        var engine = Engine();
        var cells = await RunCells(engine,
            "#r \"nuget: TorchSharp-cpu, 0.105.0\"\nusing TorchSharp;\ntypeof(torch.Tensor).Assembly.Location");
        Assert.Equal(CellStatus.Succeeded, cells[0].Result.Status);
        Assert.Equal(typeof(TorchSharp.torch).Assembly.Location, Plain(cells[0].Outputs[0]));
    }

    [Fact]
    public async Task CellTimeoutStopsTheEngine()
    {
        var engine = Engine();
        var sink = new CellOutputCollector();
        var result = await engine.ExecuteAsync("Console.WriteLine(\"started\");\nSystem.Threading.Thread.Sleep(20_000);\nConsole.WriteLine(\"late\");",
            sink, new CellRunOptions { CellNumber = 2, Timeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(CellStatus.TimedOut, result.Status);
        Assert.Equal("CellTimeout", result.Error!.EName);
        Assert.Contains("cannot be aborted safely", result.Error.EValue);
        Assert.Equal(new StreamOutput("stdout", "started\n"), sink.Outputs[0]);
        var after = await engine.ExecuteAsync("1", new CellOutputCollector());
        Assert.Equal(CellStatus.Rejected, after.Status);
    }
}
