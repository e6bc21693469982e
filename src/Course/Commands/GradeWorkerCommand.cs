using System.Text.Json.Nodes;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Parameters;
using ModelSecurity.Notebooks.Running;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// Child side of grading (hidden): reads the signing key from standard input before any notebook code runs, runs
/// the submission, runs the trusted checks and writes an HMAC-signed report to the result file.
/// </summary>
public sealed class GradeWorkerCommand : ICommand
{
    public string Name => "grade-worker";

    public string Summary => "(internal) grade one submission in this process; started by 'course grade'";

    public bool Hidden => true;

    public string Help => """
        Usage: course grade-worker <notebook.ipynb> --result-file FILE --nonce N --exercises ID[,ID...] [--cell-timeout S] [--param NAME=VALUE ...]

        Internal: started by 'course grade', which writes a base64 key as the first line of standard input.
        Runs the notebook, then the registered checks of the listed exercises, and writes a report signed with
        HMAC-SHA256 under that key to FILE. Not meant to be run by hand.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
        [new("result-file", true), new("nonce", true), new("exercises", true), new("cell-timeout", true), new("cache", true), new("param", true)];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        // 1. The key, before anything else (it never leaves this method).
        byte[] key;
        try
        {
            key = SignedResults.DecodeKey(context.In.ReadLine() ?? "");
        }
        catch (FormatException)
        {
            context.Error.WriteLine("grade-worker: no valid key on standard input");
            return ExitCodes.Usage;
        }

        string notebookPath = args.SinglePositional("notebook");
        string resultFile = args.Value("result-file") ?? throw new UsageException("--result-file is required");
        string nonce = args.Value("nonce") ?? throw new UsageException("--nonce is required");
        var exercises = (args.Value("exercises") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        NotebookDocument notebook;
        try
        {
            notebook = NotebookDocument.Load(notebookPath);
        }
        catch (NotebookFormatException e)
        {
            WriteReport(key, resultFile, new GradeReport(Path.GetFullPath(notebookPath), nonce,
                exercises.Select(id => new ExerciseResult(id, false, e.Message)).ToList()));
            return ExitCodes.Ok;
        }

        // 2. The student's notebook (untrusted): every cell, even after failures, so each exercise is graded on its own.
        NotebookRunner runner;
        try
        {
            runner = new NotebookRunner(notebook, new RunOptions
            {
                Parameters = RunCommand.ParseParameters(args.Values("param")),
                ContinueOnError = true,
                CellTimeout = args.Seconds("cell-timeout", 600),
                CacheRoot = args.Value("cache"),
            });
        }
        catch (ParameterException e)
        {
            WriteReport(key, resultFile, new GradeReport(Path.GetFullPath(notebookPath), nonce,
                exercises.Select(id => new ExerciseResult(id, false, e.Message)).ToList()));
            return ExitCodes.Ok;
        }
        await runner.RunAsync(context.Interrupt).ConfigureAwait(false);

        // 3. The trusted checks, in the notebook's final state.
        var results = new List<ExerciseResult>();
        foreach (string id in exercises)
        {
            var cells = notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code && c.ExerciseId == id && c.HasTag("exercise")).ToList();
            string? cellError = cells.SelectMany(c => c.Outputs.OfType<JsonObject>())
                .Where(o => (string?)o["output_type"] == "error")
                .Select(o => (o["traceback"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? (string?)o["evalue"])
                .FirstOrDefault();
            ExerciseResult result;
            try
            {
                result = CheckRegistry.Default.Grade(id, new EngineExerciseContext(runner.Engine, id, cells.Count > 0, cellError));
            }
            catch (Exception e)
            {
                result = new ExerciseResult(id, false, $"grading crashed: {e.GetType().Name}: {e.Message}");
            }
            results.Add(result);
        }

        // 4. The signed report.
        WriteReport(key, resultFile, new GradeReport(Path.GetFullPath(notebookPath), nonce, results));
        return ExitCodes.Ok;
    }

    private static void WriteReport(byte[] key, string resultFile, GradeReport report)
    {
        string temp = resultFile + ".tmp";
        File.WriteAllText(temp, SignedResults.Sign(key, report), SignedResults.FileEncoding);
        File.Move(temp, resultFile, overwrite: true);
    }
}
