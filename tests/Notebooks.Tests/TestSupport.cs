using System.Text.Json.Nodes;
using ModelSecurity.Cli;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>Builds notebooks in temporary folders and runs the CLI in-process.</summary>
internal static class TestSupport
{
    public static string NewDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "course-tests", Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A notebook with the given code cells (a markdown title first).</summary>
    public static NotebookDocument Notebook(params string[] codeCells)
    {
        var notebook = NotebookDocument.CreateNew();
        notebook.AddCell(NotebookCellKind.Markdown, "# Test notebook");
        foreach (string code in codeCells) notebook.AddCell(NotebookCellKind.Code, code);
        return notebook;
    }

    public static string Save(NotebookDocument notebook, string directory, string name = "test.ipynb")
    {
        string path = Path.Combine(directory, name);
        notebook.Save(path);
        return path;
    }

    public static async Task<(int Exit, string Out, string Error)> RunCli(params string[] args) => await RunCli(CancellationToken.None, args);

    public static async Task<(int Exit, string Out, string Error)> RunCli(CancellationToken interrupt, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CourseCli.RunAsync(args, new CliContext(TextWriter.Synchronized(output), TextWriter.Synchronized(error), interrupt));
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>
    /// <see cref="RunCli(string[])"/> for commands that run whole chapters: when (and only when) the run reports the known
    /// TorchSharp 0.107 scalar race (<see cref="TorchSharpScalarRace"/>), which is not a fault of the chapter, it
    /// is logged and the command runs once more.
    /// </summary>
    public static async Task<(int Exit, string Out, string Error)> RunCliOnceMoreOnScalarRace(Xunit.Abstractions.ITestOutputHelper log, params string[] args)
    {
        var result = await RunCli(args);
        if (!TorchSharpScalarRace.Matches(result.Out + result.Error)) return result;
        log.WriteLine($"{result.Out}{result.Error}\nThe known TorchSharp scalar race: running '{string.Join(' ', args.Take(2))}' once more.");
        return await RunCli(args);
    }

    /// <summary>Runs cells one by one in a fresh engine and returns all outputs per cell.</summary>
    public static async Task<List<(CellResult Result, IReadOnlyList<CellOutput> Outputs)>> RunCells(NotebookEngine engine, params string[] cells)
    {
        var all = new List<(CellResult, IReadOnlyList<CellOutput>)>();
        int number = 0;
        foreach (string code in cells)
        {
            var sink = new CellOutputCollector();
            var result = await engine.ExecuteAsync(code, sink, new CellRunOptions { CellNumber = ++number });
            all.Add((result, sink.Outputs));
        }
        return all;
    }

    public static NotebookEngine Engine(string? directory = null) =>
        new(new EngineOptions { BaseDirectory = directory ?? NewDirectory(), NotebookName = "test.ipynb" });

    public static string Plain(CellOutput output) =>
        output is DisplayOutput d && d.Value.Data.TryGetValue("text/plain", out string? text) ? text : "";

    public static JsonArray OutputsOf(NotebookDocument notebook, int cellNumber) => notebook.Cells[cellNumber - 1].Outputs;

    /// <summary>The repository root (the folder with Course.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln"))) return dir.FullName;
        throw new InvalidOperationException("Course.sln not found above " + AppContext.BaseDirectory);
    }
}
