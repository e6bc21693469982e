using System.Text.Json;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Parameters;
using ModelSecurity.Notebooks.Running;

namespace ModelSecurity.Cli.Commands;

/// <summary><c>course run</c>: executes notebooks and writes them back with their outputs.</summary>
public sealed class RunCommand : ICommand
{
    public string Name => "run";

    public string Summary => "run notebooks (C# cells in order, one shared state) and write their outputs";

    public string Help => """
        Usage: course run <notebook.ipynb | folder> [options]

        Runs the notebook's C# code cells in order in one shared state (markdown and raw cells are skipped) and
        writes the notebook back with outputs, execution counts and per-cell timing (metadata.execution,
        metadata.course.duration_seconds). A folder runs every .ipynb in it, in name order.

        Options:
          -o, --output PATH        write the executed notebook to PATH instead of in place
                                   (for a folder: a folder that receives one file per notebook)
          --param NAME=VALUE       set a parameter declared in the cell tagged 'parameters' (repeatable);
                                   an 'injected-parameters' cell is inserted after it, as papermill does
          --params-file FILE       JSON map of notebook file name to parameters,
                                   e.g. {"01-intro.ipynb": {"Epochs": 1}}; --param values win
          --continue-on-error      keep running after a failing cell (exit code is still 1)
          --cell-timeout SECONDS   per-cell time limit (default 600; 0 = none). On timeout the notebook is
                                   written and the process exits with 1: code running in-process cannot be
                                   aborted safely, so the run cannot go on.
          --no-write               do not write the executed notebook
          --skip-exercises         (folders) skip files ending in .exercise.ipynb
          --cache DIR              cache for '#r "nuget: ..."' restores
                                   (default: $COURSE_CACHE, else ~/.cache/modelsecurity-course)

        Ctrl+C interrupts the running cell (helper loops stop at their next Interruption check), writes what ran
        so far and exits with 130.

        Exit codes: 0 all cells ran, 1 a cell failed or timed out, 2 bad usage or not a valid notebook
        (the file is then left untouched), 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("output", true, "o"), new("param", true), new("params-file", true), new("continue-on-error", false),
        new("cell-timeout", true), new("no-write", false), new("skip-exercises", false), new("cache", true),
    ];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string target = args.SinglePositional("notebook or folder");
        var (files, isFolder) = NotebookFiles.Resolve(target, args.Flag("skip-exercises"));
        var timeout = args.Seconds("cell-timeout", 600);
        var cliParameters = ParseParameters(args.Values("param"));
        var fileParameters = ReadParamsFile(args.Value("params-file"));
        string? output = args.Value("output");
        if (isFolder && files.Count == 0)
        {
            context.Error.WriteLine($"No notebooks in {target}.");
            return ExitCodes.Ok;
        }

        // Check every notebook and its parameters before running anything.
        var plans = new List<(string File, NotebookDocument Notebook, List<KeyValuePair<string, string>> Parameters)>();
        foreach (string file in files)
        {
            var notebook = NotebookDocument.Load(file);
            // In a folder, --param applies to the notebooks that declare the name.
            var parameters = NotebookParameters.SelectFor(notebook, file, cliParameters, fileParameters, isFolder);
            try
            {
                NotebookParameters.Inject(notebook, parameters);
            }
            catch (ParameterException e)
            {
                context.Error.WriteLine($"error: {file}: {e.Message}");
                return ExitCodes.Usage;
            }
            plans.Add((file, notebook, parameters));
        }
        if (isFolder)
            foreach (var p in cliParameters)
                if (!plans.Any(plan => plan.Parameters.Any(q => q.Key == p.Key)))
                    throw new UsageException($"no notebook in {target} declares the parameter '{p.Key}'");

        int exit = ExitCodes.Ok;
        int totalCells = 0, totalFailures = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (file, notebook, parameters) in plans)
        {
            NotebookRunner runner;
            RunSummary summary;
            using (var progress = new ConsoleProgress(context.Error, Path.GetFileName(file)))
            {
                runner = new NotebookRunner(notebook, new RunOptions
                {
                    Parameters = [], // injected while checking, above
                    ContinueOnError = args.Flag("continue-on-error"),
                    CellTimeout = timeout,
                    CacheRoot = args.Value("cache"),
                    Log = message => context.Error.WriteLine("  " + message),
                    Progress = progress,
                });
                summary = await runner.RunAsync(context.Interrupt).ConfigureAwait(false);
            }

            string? written = null;
            if (!args.Flag("no-write"))
            {
                written = output is null ? file : isFolder ? Path.Combine(output, Path.GetFileName(file)) : output;
                // As Jupyter does when a kernel runs a notebook: the stored language_info is the kernel's.
                notebook.Metadata["language_info"] = CSharpLanguageInfo.Create();
                notebook.Save(written);
            }
            totalCells += summary.CellsRun;
            totalFailures += summary.Failures.Count;
            context.Error.WriteLine(Describe(file, summary, written));
            exit = Math.Max(exit, summary.ExitCode);
            if (summary.Outcome is RunOutcome.Interrupted or RunOutcome.TimedOut) break;
        }
        if (plans.Count > 1)
            context.Error.WriteLine($"Total: {plans.Count} notebooks, {totalCells} cells run in {clock.Elapsed.TotalSeconds:0.0} s, {totalFailures} failed.");
        return exit;
    }

    private static string Describe(string file, RunSummary summary, string? written)
    {
        string outcome = summary.Outcome switch
        {
            RunOutcome.Succeeded => "ok",
            RunOutcome.Failed => $"{summary.Failures.Count} failed ({string.Join(", ", summary.Failures.Select(f => $"cell {f.CellNumber}: {f.Error.EName}"))})",
            RunOutcome.TimedOut => "stopped: a cell timed out",
            _ => "interrupted",
        };
        return $"{Path.GetFileName(file)}: {summary.CellsRun}/{summary.CodeCells} code cells run in {summary.Duration.TotalSeconds:0.0} s, {outcome}"
               + (written is null ? " (not written)" : $"; written to {written}");
    }

    internal static List<KeyValuePair<string, string>> ParseParameters(IReadOnlyList<string> values)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (string value in values)
        {
            int eq = value.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--param needs NAME=VALUE, not '{value}'");
            result.Add(new(value[..eq].Trim(), value[(eq + 1)..]));
        }
        return result;
    }

    internal static Dictionary<string, List<KeyValuePair<string, string>>> ReadParamsFile(string? path)
    {
        var result = new Dictionary<string, List<KeyValuePair<string, string>>>(StringComparer.Ordinal);
        if (path is null) return result;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var notebook in doc.RootElement.EnumerateObject())
            {
                if (notebook.Value.ValueKind != JsonValueKind.Object) continue;
                result[notebook.Name] = notebook.Value.EnumerateObject()
                    .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()))
                    .ToList();
            }
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            throw new UsageException($"--params-file {path}: {e.Message}");
        }
        return result;
    }
}
