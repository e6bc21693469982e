using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;
using ModelSecurity.Notebooks.Parameters;
using ModelSecurity.Notebooks.Running;
using ModelSecurity.Notebooks.Timing;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course timings</c>: each chapter's total and longest cell from the per-cell timings stored in the notebooks, checked
/// against the course's time budget (issue 21); with <c>--run</c>, the same from a fresh run side by side.
/// </summary>
public sealed class TimingsCommand : ICommand
{
    /// <summary>Where the early-exit evaluation's speed-up is measured (not here: it takes long).</summary>
    internal const string EarlyExitBenchmark = "dotnet run --project benchmarks -c Release -- early-exit";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // code lines stay readable ("<", "\"")
    };

    public string Name => "timings";

    public string Summary => "each chapter's total and longest cell (stored, or --run fresh) against the time budget";

    public string Help => $"""
        Usage: course timings [notebook.ipynb | folder] [options]

        For each notebook (default: every .ipynb in notebooks/) prints the total run time and the longest cell
        (its number in the notebook, first line and seconds) from the per-cell timings 'course run' stores
        (metadata.course.duration_seconds), marks what exceeds the budget, and prints the whole-course total.
        A cell without a stored timing is reported as unknown (the total is then a lower bound, shown as '≥').
        The first cell with '#r "nuget: …"' restores is exempt from the per-cell limit (a one-time start-up
        cost) but counts in the totals.

        Options:
          --run                    also run every notebook now (in memory: the stored notebooks are never
                                   written) and print stored vs fresh side by side with the ratio fresh/stored;
                                   the budget is then checked on the fresh times
          --params-file FILE       with --run: parameters per notebook, as for 'course run'
          --cell-timeout SECONDS   with --run: per-cell time limit (default 600; 0 = none)
          --chapter-budget SECONDS most a chapter may take (default 300)
          --cell-budget SECONDS    most one cell may take (default 60)
          --course-budget SECONDS  most the whole course may take (default 1200)
          --count-restore-cell     hold the first '#r "nuget: …"' cell to the per-cell limit too
          --json                   print the report as JSON on standard output

        Timings depend on the machine: the budget is meant for default parameters on two idle cores.
        The speed-up of early-exit robustness evaluation over full evaluation (same model, points and seeds)
        is measured by the benchmark: {EarlyExitBenchmark}

        Exit codes: 0 within budget, 1 over budget (or a fresh run failed), 2 bad usage or not a valid notebook.
        Untimed cells are listed but do not fail the check; a total whose known part is over the budget does.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("run", false), new("params-file", true), new("cell-timeout", true), new("chapter-budget", true),
        new("cell-budget", true), new("course-budget", true), new("count-restore-cell", false), new("json", false),
    ];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string target = args.Positionals.Count == 0 ? "notebooks" : args.SinglePositional("notebook or folder");
        var (files, isFolder) = NotebookFiles.Resolve(target, skipExercises: true);
        if (files.Count == 0) throw new UsageException($"no notebooks in {target}");
        var budget = new TimingBudget
        {
            ChapterSeconds = Budget(args, "chapter-budget", 300),
            CellSeconds = Budget(args, "cell-budget", 60),
            CourseSeconds = Budget(args, "course-budget", 1200),
            ExceptRestoreCell = !args.Flag("count-restore-cell"),
        };
        bool run = args.Flag("run");
        if (!run && (args.Value("params-file") is not null || args.Value("cell-timeout") is not null))
            throw new UsageException("--params-file and --cell-timeout apply only with --run");

        // Read (and so check) every notebook before running any.
        var chapters = files.Select(f => new Chapter(f, NotebookTimings.Load(f))).ToList();
        bool runFailed = false;
        if (run)
        {
            var fileParameters = RunCommand.ReadParamsFile(args.Value("params-file"));
            var timeout = args.Seconds("cell-timeout", 600);
            foreach (var chapter in chapters)
            {
                var (fresh, ok) = await RunFreshAsync(chapter.File, fileParameters, isFolder, timeout, context).ConfigureAwait(false);
                chapter.Fresh = fresh;
                runFailed |= !ok;
                if (context.Interrupt.IsCancellationRequested) throw new OperationCanceledException();
            }
        }

        foreach (var chapter in chapters) chapter.Violations = budget.Violations(chapter.Fresh ?? chapter.Stored);
        var checkedTimings = chapters.Select(c => c.Fresh ?? c.Stored).ToList();
        bool courseOver = budget.CourseOver(checkedTimings);
        bool over = courseOver || chapters.Any(c => c.Violations.Count > 0);

        if (args.Flag("json")) context.Out.WriteLine(Json(chapters, budget, run, courseOver, over).ToJsonString(JsonOptions));
        else context.Out.Write(Text(chapters, budget, run, courseOver));
        return over || runFailed ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<(NotebookTimings Timings, bool Succeeded)> RunFreshAsync(string file,
        Dictionary<string, List<KeyValuePair<string, string>>> fileParameters, bool isFolder, TimeSpan? timeout, CliContext context)
    {
        // Loaded again and run in memory: the stored notebook (and its timings) stay as they are.
        var notebook = NotebookDocument.Load(file);
        NotebookParameters.Inject(notebook, NotebookParameters.SelectFor(notebook, file, [], fileParameters, isFolder));
        RunSummary summary;
        using (var progress = new ConsoleProgress(context.Error, Path.GetFileName(file)))
        {
            var runner = new NotebookRunner(notebook, new RunOptions
            {
                CellTimeout = timeout,
                Log = message => context.Error.WriteLine("  " + message),
                Progress = progress,
            });
            summary = await runner.RunAsync(context.Interrupt).ConfigureAwait(false);
        }
        if (summary.Outcome != RunOutcome.Succeeded)
            context.Error.WriteLine($"{Path.GetFileName(file)}: fresh run {summary.Outcome.ToString().ToLowerInvariant()} after {summary.CellsRun}/{summary.CodeCells} cells; " +
                                    "cells that did not run are reported as unknown");
        return (NotebookTimings.Of(notebook, Path.GetFileName(file)), summary.Outcome == RunOutcome.Succeeded);
    }

    private static double Budget(ParsedArgs args, string name, double defaultSeconds) =>
        args.Seconds(name, defaultSeconds, zeroMeansNone: false)!.Value.TotalSeconds is var s && s > 0
            ? s
            : throw new UsageException($"--{name} needs a positive number of seconds");

    private static string Text(List<Chapter> chapters, TimingBudget budget, bool run, bool courseOver)
    {
        var headers = run
            ? new[] { "chapter", "stored", "fresh", "fresh/stored", "longest cell (fresh)", "stored s", "fresh s", "budget" }
            : new[] { "chapter", "total", "longest cell", "s", "budget" };
        var rows = new List<IReadOnlyList<string>>();
        foreach (var c in chapters)
        {
            var shown = c.Fresh ?? c.Stored;
            var longest = shown.Longest(budget.ExceptRestoreCell);
            string verdict = c.Violations.Count > 0 ? "OVER" : shown.UnknownCells > 0 ? "unknown" : "ok";
            string cell = longest is null ? "—" : $"cell {longest.CellNumber}: {longest.FirstLine}";
            string seconds = longest?.Seconds is { } s ? Seconds(s) : "?";
            rows.Add(run
                ? [Path.GetFileNameWithoutExtension(c.Name), Total(c.Stored), Total(c.Fresh!), Ratio(c.Fresh!, c.Stored), cell,
                   // the same cell's stored time, so the two columns compare one cell
                   c.Stored.Cells.FirstOrDefault(x => x.CellNumber == longest?.CellNumber)?.Seconds is { } stored ? Seconds(stored) : "?", seconds, verdict]
                : [Path.GetFileNameWithoutExtension(c.Name), Total(c.Stored), cell, seconds, verdict]);
        }
        var text = new System.Text.StringBuilder();
        text.Append(TextTable.Render(headers, rows)).Append("\n\n");
        foreach (var c in chapters.Where(c => c.Violations.Count > 0))
            text.Append($"OVER {c.Name}: {string.Join("; ", c.Violations)}\n");
        foreach (var c in chapters.Where(c => (c.Fresh ?? c.Stored).UnknownCells > 0))
        {
            var untimed = (c.Fresh ?? c.Stored).Cells.Where(x => x.Seconds is null).Select(x => x.CellNumber);
            text.Append($"unknown {c.Name}: no stored timing for cell{(untimed.Count() == 1 ? "" : "s")} {string.Join(", ", untimed)} (not run since added?)\n");
        }
        string storedCourse = CourseTotal(chapters.Select(c => c.Stored));
        text.Append(run
            ? $"Whole course: stored {storedCourse}, fresh {CourseTotal(chapters.Select(c => c.Fresh!))}"
            : $"Whole course: {storedCourse}");
        text.Append(courseOver ? $" — OVER the {Seconds(budget.CourseSeconds)} budget\n" : $" (budget {Seconds(budget.CourseSeconds)})\n");
        text.Append($"Budget: ≤ {Seconds(budget.ChapterSeconds)} per chapter, ≤ {Seconds(budget.CellSeconds)} per cell")
            .Append(budget.ExceptRestoreCell ? " (first #r \"nuget:\" cell excepted)" : "")
            .Append(run ? "; checked on the fresh run.\n" : "; checked on the stored timings.\n");
        text.Append($"Early-exit vs full robustness evaluation (speed-up on the same points): {EarlyExitBenchmark}\n");
        return text.ToString();
    }

    private static string Total(NotebookTimings t) => t.TotalSeconds is { } s ? Seconds(s) : $"≥ {Seconds(t.KnownSeconds)} ({t.UnknownCells} unknown)";

    private static string CourseTotal(IEnumerable<NotebookTimings> all)
    {
        var list = all.ToList();
        double known = list.Sum(t => t.KnownSeconds);
        string minutes = (known / 60).ToString("0.0", CultureInfo.InvariantCulture);
        return (list.Any(t => t.UnknownCells > 0) ? "≥ " : "") + $"{Seconds(known)} ({minutes} min)";
    }

    private static string Ratio(NotebookTimings fresh, NotebookTimings stored) =>
        fresh.TotalSeconds is { } f && stored.TotalSeconds is { } s && s > 0 ? (f / s).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "?";

    private static string Seconds(double s) => s.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static JsonObject Json(List<Chapter> chapters, TimingBudget budget, bool run, bool courseOver, bool over)
    {
        var list = new JsonArray();
        foreach (var c in chapters)
        {
            var chapter = new JsonObject { ["file"] = c.File, ["stored"] = Json(c.Stored, budget) };
            if (c.Fresh is not null)
            {
                chapter["fresh"] = Json(c.Fresh, budget);
                chapter["ratio"] = c.Fresh.TotalSeconds is { } f && c.Stored.TotalSeconds is { } s && s > 0 ? Math.Round(f / s, 3) : null;
            }
            chapter["violations"] = new JsonArray(c.Violations.Select(v => (JsonNode)v).ToArray());
            list.Add(chapter);
        }
        return new JsonObject
        {
            ["budget"] = new JsonObject
            {
                ["chapterSeconds"] = budget.ChapterSeconds, ["cellSeconds"] = budget.CellSeconds,
                ["courseSeconds"] = budget.CourseSeconds, ["exceptRestoreCell"] = budget.ExceptRestoreCell,
                ["checked"] = run ? "fresh" : "stored",
            },
            ["chapters"] = list,
            ["course"] = new JsonObject
            {
                ["storedSeconds"] = CourseSeconds(chapters.Select(c => c.Stored)),
                ["freshSeconds"] = run ? CourseSeconds(chapters.Select(c => c.Fresh!)) : null,
                ["over"] = courseOver,
            },
            ["withinBudget"] = !over,
            ["earlyExitBenchmark"] = EarlyExitBenchmark,
        };
    }

    /// <summary>The whole course's total, or null when any cell is untimed (as for a chapter: unknown is not 0).</summary>
    private static double? CourseSeconds(IEnumerable<NotebookTimings> all)
    {
        var list = all.ToList();
        return list.Any(t => t.UnknownCells > 0) ? null : Math.Round(list.Sum(t => t.KnownSeconds), 3);
    }

    private static JsonObject Json(NotebookTimings t, TimingBudget budget)
    {
        var longest = t.Longest(budget.ExceptRestoreCell);
        return new JsonObject
        {
            ["totalSeconds"] = t.TotalSeconds is { } s ? Math.Round(s, 3) : null,
            ["knownSeconds"] = Math.Round(t.KnownSeconds, 3),
            ["unknownCells"] = t.UnknownCells,
            ["longestCell"] = longest is null ? null : new JsonObject
            {
                ["cell"] = longest.CellNumber, ["firstLine"] = longest.FirstLine, ["seconds"] = longest.Seconds,
            },
            ["cells"] = new JsonArray(t.Cells.Select(c => (JsonNode)new JsonObject
            {
                ["cell"] = c.CellNumber, ["seconds"] = c.Seconds, ["restore"] = c.IsRestoreCell,
            }).ToArray()),
        };
    }

    private sealed class Chapter(string file, NotebookTimings stored)
    {
        public string File { get; } = file;
        public string Name => Stored.Name;
        public NotebookTimings Stored { get; } = stored;
        public NotebookTimings? Fresh { get; set; }
        public IReadOnlyList<string> Violations { get; set; } = [];
    }
}
