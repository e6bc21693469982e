using System.Diagnostics;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

public class RunCommandTests
{
    [Fact]
    public async Task TheKnownTorchSharpRaceIsExplainedOnTheConsoleAndTheRunStops()
    {
        string dir = NewDirectory();
        var notebook = Notebook("throw new System.Runtime.InteropServices.ExternalException(\"Expected false to be true, but got false.\\nException raised from toFloat at /pytorch/c10/core/Scalar.h:140\");", "1 + 1");
        string path = Save(notebook, dir);
        var (exit, _, error) = await RunCli("run", path);
        Assert.Equal(1, exit);
        Assert.Contains("ExternalException: Expected false to be true", error);
        Assert.Contains(ModelSecurity.Notebooks.Execution.TorchSharpScalarRace.Explanation, error);
        Assert.Contains("1/2 code cells run", error);
    }

    [Fact]
    public async Task RunWritesOutputsCountsTimingAndIdsAndKeepsUnknownFields()
    {
        string dir = NewDirectory();
        var notebook = Notebook("var x = 6;\nConsole.WriteLine(\"six\");", "x * 7");
        notebook.Metadata["custom_tool"] = new JsonObject { ["keep"] = "me" };
        notebook.Cells[1].Metadata["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" };
        notebook.Cells[1].Metadata["x_unknown_field"] = 5;
        notebook.Cells[0].Json.Remove("id");
        notebook.Root["nbformat_minor"] = 4;
        string path = Save(notebook, dir);

        var (exit, _, error) = await RunCli("run", path);
        Assert.Equal(0, exit);
        Assert.Contains("[1/2] test.ipynb cell 2: var x = 6;", error);
        Assert.Contains("2/2 code cells run", error);

        var written = NotebookDocument.Load(path);
        Assert.Equal(5, (int)written.Root["nbformat_minor"]!);
        Assert.All(written.Cells, c => Assert.False(string.IsNullOrEmpty(c.Id)));
        Assert.Equal("me", (string?)written.Metadata["custom_tool"]!["keep"]);
        Assert.Equal(".net-csharp", (string?)written.Metadata["kernelspec"]!["name"]);
        Assert.Equal("polyglot-notebook", (string?)written.Cells[1].Metadata["vscode"]!["languageId"]);
        Assert.Equal(5, (int)written.Cells[1].Metadata["x_unknown_field"]!);
        Assert.Equal(1, written.Cells[1].ExecutionCount);
        Assert.Equal("six\n", NotebookCell.FromMultiline(written.Cells[1].Outputs[0]!["text"]));
        Assert.Equal("42", NotebookCell.FromMultiline(written.Cells[2].Outputs[0]!["data"]!["text/plain"]));
        Assert.NotNull(written.Cells[2].Metadata["execution"]!["iopub.execute_input"]);
        Assert.True((double)written.Cells[2].Metadata["course"]!["duration_seconds"]! >= 0);
        NbformatValidator.AssertValid(path);
    }

    [Fact]
    public async Task FailingCellStopsTheRunUnlessContinueOnError()
    {
        string dir = NewDirectory();
        string path = Save(Notebook("var a = 1;", "throw new Exception(\"stop here\");", "Console.WriteLine(\"after\");"), dir);
        string copy = Path.Combine(dir, "copy.ipynb");
        File.Copy(path, copy);

        var (exit, _, error) = await RunCli("run", path);
        Assert.Equal(1, exit);
        Assert.Contains("1 failed (cell 3: System.Exception)", error);
        var written = NotebookDocument.Load(path);
        var failure = (JsonObject)written.Cells[2].Outputs.Single()!;
        Assert.Equal("error", (string?)failure["output_type"]);
        Assert.Equal("System.Exception", (string?)failure["ename"]);
        Assert.Equal("stop here", (string?)failure["evalue"]);
        Assert.StartsWith("cell 3, line 1:", (string?)failure["traceback"]![0]);
        Assert.Empty(written.Cells[3].Outputs);
        Assert.Null(written.Cells[3].ExecutionCount);
        NbformatValidator.AssertValid(path);

        (exit, _, _) = await RunCli("run", copy, "--continue-on-error");
        Assert.Equal(1, exit);
        Assert.Equal("after\n", NotebookCell.FromMultiline(NotebookDocument.Load(copy).Cells[3].Outputs[0]!["text"]));
    }

    [Fact]
    public async Task OutputPathAndNoWriteLeaveTheSourceUntouched()
    {
        string dir = NewDirectory();
        string path = Save(Notebook("1 + 1"), dir);
        byte[] before = File.ReadAllBytes(path);
        string output = Path.Combine(dir, "out", "executed.ipynb");
        Assert.Equal(0, (await RunCli("run", path, "-o", output)).Exit);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal("2", NotebookCell.FromMultiline(NotebookDocument.Load(output).Cells[1].Outputs[0]!["data"]!["text/plain"]));
        Assert.Equal(0, (await RunCli("run", path, "--no-write")).Exit);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public async Task TimeoutRecordsAnErrorWritesTheNotebookAndExitsWith1()
    {
        string dir = NewDirectory();
        string path = Save(Notebook("Console.WriteLine(\"start\");", "System.Threading.Thread.Sleep(600_000);", "Console.WriteLine(\"never\");"), dir);
        var clock = Stopwatch.StartNew();
        var (exit, _, error) = await RunCli("run", path, "--cell-timeout", "1");
        Assert.Equal(1, exit);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(300), "the run should not wait for the sleeping cell"); // wide: the sleep is 600 s
        Assert.Contains("TIMEDOUT", error);
        var written = NotebookDocument.Load(path);
        Assert.Equal("CellTimeout", (string?)written.Cells[2].Outputs.Single()!["ename"]);
        Assert.Empty(written.Cells[3].Outputs);
        Assert.Equal("start\n", NotebookCell.FromMultiline(written.Cells[1].Outputs[0]!["text"]));
    }

    [Theory]
    [InlineData("{ this is not json", "is not valid JSON")]
    [InlineData("[1, 2, 3]", "is not a notebook")]
    [InlineData("{\"nbformat\": 3, \"nbformat_minor\": 0, \"worksheets\": []}", "is nbformat 3; this engine reads nbformat 4 only")]
    [InlineData("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}}", "the \"cells\" list is missing")]
    [InlineData("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [{\"cell_type\": \"code\"}]}", "cell 1 has no \"source\"")]
    [InlineData("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [{\"cell_type\": \"sql\", \"source\": \"\"}]}", "cell 1 has cell_type \"sql\"")]
    public async Task MalformedNotebooksGiveAClearErrorAndAreNotTouched(string content, string expected)
    {
        string dir = NewDirectory();
        string path = Path.Combine(dir, "broken.ipynb");
        File.WriteAllText(path, content);
        byte[] before = File.ReadAllBytes(path);
        var (exit, _, error) = await RunCli("run", path);
        Assert.Equal(2, exit);
        Assert.Contains(path, error);
        Assert.Contains(expected, error);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["broken.ipynb"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal(2, (await RunCli("export", path)).Exit);
        Assert.Equal(2, (await RunCli("grade", path)).Exit);
    }

    [Fact]
    public async Task FolderRunsEveryNotebookInNameOrderAndCanSkipExercises()
    {
        string dir = NewDirectory();
        Save(Notebook("Console.WriteLine(\"b\");"), dir, "02-b.ipynb");
        Save(Notebook("Console.WriteLine(\"a\");"), dir, "01-a.ipynb");
        Save(Notebook("throw new Exception();"), dir, "03-c.exercise.ipynb");
        var (exit, _, error) = await RunCli("run", dir, "--skip-exercises");
        Assert.Equal(0, exit);
        Assert.True(error.IndexOf("01-a.ipynb", StringComparison.Ordinal) < error.IndexOf("02-b.ipynb", StringComparison.Ordinal));
        Assert.DoesNotContain("03-c", error);
        Assert.Contains("Total: 2 notebooks", error);
        Assert.Equal(1, (await RunCli("run", dir)).Exit);
    }

    [Fact]
    public async Task EveryCommandHasHelpAndBadUsageExitsWith2()
    {
        foreach (string command in new[] { "run", "export", "grade" })
        {
            var (exit, output, _) = await RunCli(command, "--help");
            Assert.Equal(0, exit);
            Assert.Contains($"Usage: course {command}", output);
        }
        var (listExit, list, _) = await RunCli("--help");
        Assert.Equal(0, listExit);
        Assert.Contains("run", list);
        Assert.DoesNotContain("grade-worker", list);
        Assert.Equal(2, (await RunCli("run")).Exit);
        Assert.Equal(2, (await RunCli("run", "x.ipynb", "--bogus")).Exit);
        Assert.Equal(2, (await RunCli("frobnicate")).Exit);
        Assert.Equal(2, (await RunCli("run", "/does/not/exist.ipynb")).Exit);
        Assert.Equal(2, (await RunCli("run", "x.ipynb", "--cell-timeout", "soon")).Exit);
    }
}

[Collection(nameof(InterruptionCollection))]
public class InterruptionTests
{
    [Fact]
    public async Task CtrlCInterruptsCooperativelyWritesWhatRanAndExitsWith130()
    {
        string dir = NewDirectory();
        string path = Save(Notebook(
            "Console.WriteLine(\"first\");",
            "using ModelSecurity.Runtime;\nfor (int step = 0; ; step++)\n{\n    Interruption.ThrowIfRequested();\n    System.Threading.Thread.Sleep(20);\n}",
            "Console.WriteLine(\"never\");"), dir);
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var (exit, _, error) = await RunCli(interrupt.Token, "run", path);
        Assert.Equal(130, exit);
        Assert.Contains("interrupted", error);
        var written = NotebookDocument.Load(path);
        Assert.Equal("first\n", NotebookCell.FromMultiline(written.Cells[1].Outputs[0]!["text"]));
        var stopped = (JsonObject)written.Cells[2].Outputs.Single()!;
        Assert.Equal("System.OperationCanceledException", (string?)stopped["ename"]);
        Assert.Contains("cell 3, line 4", (string?)stopped["traceback"]![0]);
        Assert.Empty(written.Cells[3].Outputs);
        Assert.Equal(CancellationToken.None, ModelSecurity.Runtime.Interruption.Token);
    }
}

/// <summary>Tests that use the process-wide <see cref="ModelSecurity.Runtime.Interruption.Token"/> run alone.</summary>
[CollectionDefinition(nameof(InterruptionCollection), DisableParallelization = true)]
public class InterruptionCollection;
