using System.Globalization;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;
using ModelSecurity.Notebooks.Parameters;

namespace ModelSecurity.Notebooks.Running;

/// <summary>Options of a notebook run.</summary>
public sealed record RunOptions
{
    /// <summary>Parameter values (<c>--param Name=Value</c>), injected after the <c>parameters</c> cell.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>Keep running after a failing cell.</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Per-cell time limit (null: none).</summary>
    public TimeSpan? CellTimeout { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Receives progress (cell starting/finished).</summary>
    public IRunProgress? Progress { get; init; }

    /// <summary>NuGet cache root (null: default).</summary>
    public string? CacheRoot { get; init; }

    /// <summary>Engine messages (NuGet restores).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Formatters (null: defaults).</summary>
    public FormatterRegistry? Formatters { get; init; }

    /// <summary>After an interruption request, how long a cell gets to stop by itself.</summary>
    public TimeSpan InterruptGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Who runs the notebook; the grading worker passes <see cref="NotebookHost.Grader"/> (check cells then stay inert).</summary>
    public NotebookHost Host { get; init; } = NotebookHost.Interactive;
}

/// <summary>Progress callbacks of a run.</summary>
public interface IRunProgress
{
    /// <summary>A code cell starts.</summary>
    /// <param name="index">1-based index among the code cells that run.</param>
    /// <param name="total">Number of code cells.</param>
    /// <param name="cellNumber">1-based position in the notebook (all cells counted).</param>
    /// <param name="firstLine">First non-empty line of the cell.</param>
    void CellStarting(int index, int total, int cellNumber, string firstLine);

    /// <summary>The code cell finished.</summary>
    void CellFinished(int index, int total, int cellNumber, CellResult result);
}

/// <summary>How a run ended; <see cref="RunSummary.ExitCode"/> maps it to the CLI's exit codes.</summary>
public enum RunOutcome
{
    /// <summary>Every cell succeeded.</summary>
    Succeeded,
    /// <summary>At least one cell failed.</summary>
    Failed,
    /// <summary>A cell exceeded the time limit; the process should exit.</summary>
    TimedOut,
    /// <summary>Ctrl+C.</summary>
    Interrupted,
}

/// <summary>A failed cell.</summary>
/// <param name="CellNumber">1-based position in the notebook.</param>
/// <param name="Error">Its error output.</param>
public sealed record CellFailure(int CellNumber, ErrorOutput Error);

/// <summary>The result of a notebook run.</summary>
/// <param name="CellsRun">Code cells executed.</param>
/// <param name="CodeCells">Code cells in the notebook.</param>
/// <param name="Duration">Wall time.</param>
/// <param name="Failures">Failed cells.</param>
/// <param name="Outcome">How it ended.</param>
public sealed record RunSummary(int CellsRun, int CodeCells, TimeSpan Duration, IReadOnlyList<CellFailure> Failures, RunOutcome Outcome)
{
    /// <summary>0 ok, 1 a cell failed or timed out, 130 interrupted.</summary>
    public int ExitCode => Outcome switch
    {
        RunOutcome.Succeeded => 0,
        RunOutcome.Interrupted => 130,
        _ => 1,
    };
}

/// <summary>
/// Runs a notebook's code cells in order in one <see cref="NotebookEngine"/> and records outputs, execution counts
/// and timing into the document (in memory: saving is the caller's business). Markdown and raw cells are skipped.
/// </summary>
public sealed class NotebookRunner
{
    private readonly NotebookDocument _notebook;
    private readonly RunOptions _options;

    /// <summary>Prepares a run; parameters are checked and injected here.</summary>
    /// <exception cref="ParameterException">Bad parameters.</exception>
    public NotebookRunner(NotebookDocument notebook, RunOptions? options = null)
    {
        _notebook = notebook;
        _options = options ?? new RunOptions();
        NotebookParameters.Inject(notebook, _options.Parameters);
        string path = notebook.FilePath ?? Path.Combine(Directory.GetCurrentDirectory(), "notebook.ipynb");
        Engine = new NotebookEngine(new EngineOptions
        {
            BaseDirectory = Path.GetDirectoryName(path)!,
            NotebookName = Path.GetFileName(path),
            CacheRoot = _options.CacheRoot,
            Formatters = _options.Formatters,
            Log = _options.Log,
            Host = _options.Host,
        });
    }

    /// <summary>The engine; after the run it holds the notebook's final state (grading evaluates in it).</summary>
    public NotebookEngine Engine { get; }

    /// <summary>Runs all code cells.</summary>
    /// <param name="cancellationToken">Ctrl+C: the running cell is interrupted and the run stops.</param>
    public async Task<RunSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _notebook.Normalize();
        var codeCells = _notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code).ToList();
        foreach (var cell in codeCells)
        {
            cell.ClearOutputs();
            cell.Metadata.Remove("execution");
            if (cell.Metadata["course"] is JsonObject course)
            {
                course.Remove("duration_seconds");
                course.Remove("status");
            }
        }

        var failures = new List<CellFailure>();
        var outcome = RunOutcome.Succeeded;
        int run = 0;
        for (int i = 0; i < codeCells.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested) { outcome = RunOutcome.Interrupted; break; }
            var cell = codeCells[i];
            int number = _notebook.NumberOf(cell);
            string source = cell.Source;
            _options.Progress?.CellStarting(i + 1, codeCells.Count, number, FirstLine(source));
            var sink = new NotebookCellSink(cell);
            var result = await Engine.ExecuteAsync(source, sink, new CellRunOptions
            {
                CellNumber = number,
                KernelName = cell.KernelName,
                Timeout = _options.CellTimeout,
                InterruptGrace = _options.InterruptGrace,
            }, cancellationToken).ConfigureAwait(false);
            run++;
            sink.WriteToCell();
            Record(cell, result);
            _options.Progress?.CellFinished(i + 1, codeCells.Count, number, result);

            if (result.Error is not null && result.Status != CellStatus.Succeeded) failures.Add(new CellFailure(number, result.Error));
            if (result.Status == CellStatus.Interrupted) { outcome = RunOutcome.Interrupted; break; }
            if (result.Status == CellStatus.TimedOut) { outcome = RunOutcome.TimedOut; break; }
            if (result.Status is CellStatus.Failed or CellStatus.Rejected)
            {
                outcome = RunOutcome.Failed;
                if (!_options.ContinueOnError || Engine.PoisonedBecause is not null) break;
            }
        }
        return new RunSummary(run, codeCells.Count, clock.Elapsed, failures, outcome);
    }

    private static void Record(NotebookCell cell, CellResult result)
    {
        cell.SetExecutionCount(result.ExecutionCount > 0 ? result.ExecutionCount : null);
        var end = result.StartTime + result.Duration;
        cell.Metadata["execution"] = new JsonObject
        {
            ["iopub.execute_input"] = Iso(result.StartTime),
            ["shell.execute_reply"] = Iso(end),
        };
        if (cell.Metadata["course"] is not JsonObject course)
            cell.Metadata["course"] = course = new JsonObject();
        course["duration_seconds"] = Math.Round(result.Duration.TotalSeconds, 3);
        course["status"] = result.Status.ToString().ToLowerInvariant();
    }

    private static string Iso(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string FirstLine(string source) =>
        source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    /// <summary>Collects a cell's outputs; they are written into the cell's JSON when the cell ends (or is given up on).</summary>
    private sealed class NotebookCellSink(NotebookCell cell) : ICellOutputSink
    {
        private readonly CellOutputCollector _collector = new();

        public void Add(CellOutput output) => _collector.Add(output);

        public void Update(string displayId, DisplayOutput output) => _collector.Update(displayId, output);

        public void WriteToCell() =>
            cell.Json["outputs"] = new JsonArray(_collector.Outputs.Select(o => (JsonNode?)o.ToJson()).ToArray());
    }
}
