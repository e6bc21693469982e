using System.Text.Json.Nodes;
using ModelSecurity.Grading;
using ModelSecurity.Grading.Remote;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Cli.Grading;

/// <summary>
/// Grades one submission: runs it in a <see cref="WorkerSandbox"/>, then runs the course's checks here, in the grader,
/// against a <see cref="RemoteSubmission"/> — the verdict never depends on anything but the data the learner's functions
/// return. Partial credit is fair: when a cell hangs or ends the process, the submission runs again up to that cell and
/// the exercises defined before it are graded; when a call hangs or kills the worker, that exercise fails and the others
/// are graded in a fresh worker. Every failure says which cell or call was to blame.
/// </summary>
internal static class GradeSession
{
    /// <summary>Exercise results, in the order asked for.</summary>
    /// <param name="notebookPath">The submission's path (its file name is kept in the worker's copy).</param>
    /// <param name="content">The submission's bytes, read before any submission ran.</param>
    /// <param name="notebook">The same, parsed.</param>
    /// <param name="exercises">Exercises to grade.</param>
    /// <param name="options">Limits and sandbox.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public static IReadOnlyList<ExerciseResult> Grade(string notebookPath, byte[] content, NotebookDocument notebook, IReadOnlyList<string> exercises,
        SandboxOptions options, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.TimeLimit;
        var results = new Dictionary<string, ExerciseResult>();
        var pending = new List<string>(exercises);
        int? stopBefore = null;
        string? note = null;
        // Exercises whose check lost the worker (it ended or hung, e.g. memory filled by a later cell) get one more try
        // in a worker that runs only up to their own cell: the state the exercise reached, before later cells broke it.
        var retryStop = new Dictionary<string, (int Stop, string Why)>();
        for (int attempt = 0; pending.Count > 0 && attempt < 2 * exercises.Count + 3; attempt++)
        {
            string? only = pending.FirstOrDefault(retryStop.ContainsKey);
            int? stopThisRun = only is null ? stopBefore : Math.Min(stopBefore ?? int.MaxValue, retryStop[only].Stop);
            var left = deadline - DateTime.UtcNow;
            if (cancellationToken.IsCancellationRequested) return Finish(exercises, results, "grading was interrupted", note);
            if (left <= TimeSpan.Zero) break;
            WorkerSandbox sandbox;
            RemoteChannel channel;
            try
            {
                (sandbox, channel) = WorkerSandbox.Start(notebookPath, content, options, stopThisRun, Min(left, TimeSpan.FromSeconds(120)));
            }
            catch (SubmissionUnavailableException e)
            {
                return Finish(exercises, results, e.Message, note);
            }
            using (sandbox)
            using (channel)
            using (cancellationToken.Register(channel.Dispose))
            {
                // 1. The run: until the worker says it ran every cell, it ends, or the run's share of the time is used
                // (half of it at first, so that a run up to a hanging cell and the checks fit in the other half).
                var runLimit = (deadline - DateTime.UtcNow) * (stopBefore is null ? 0.5 : 0.8);
                int? lastCell = null, timedOutCell = null;
                JsonObject? cellErrors = null;
                string? runProblem = null;
                var runDeadline = DateTime.UtcNow + runLimit;
                while (true)
                {
                    JsonObject message;
                    try
                    {
                        message = channel.Receive(Max(runDeadline - DateTime.UtcNow, TimeSpan.FromMilliseconds(1)), "the notebook to finish running");
                    }
                    catch (SubmissionUnavailableException e)
                    {
                        runProblem = e.Message.StartsWith("timed out", StringComparison.Ordinal)
                            ? $"did not finish within the time limit ({options.TimeLimit.TotalSeconds:0} s for the submission, --time-limit)"
                            : $"ended the submission's process{Exit(sandbox)}";
                        break;
                    }
                    string? kind = (string?)message["event"];
                    if (kind == "cell" && message["number"] is JsonValue number && number.TryGetValue(out int n) && n > 0 && n <= notebook.Cells.Count) lastCell = n;
                    else if (kind == "ran")
                    {
                        timedOutCell = (int?)message["timedOutCell"];
                        cellErrors = message["cellErrors"] as JsonObject;
                        break;
                    }
                }
                if (cancellationToken.IsCancellationRequested) return Finish(exercises, results, "grading was interrupted", note);
                if ((runProblem is not null || timedOutCell is not null) && only is not null)
                {
                    results[only] = new ExerciseResult(only, false, retryStop[only].Why);
                    pending.Remove(only);
                    continue;
                }
                if (runProblem is not null || timedOutCell is not null)
                {
                    int? blame = timedOutCell ?? lastCell;
                    string what = timedOutCell is not null ? $"did not finish within --cell-timeout ({options.CellTimeout.TotalSeconds:0} s)" : runProblem!;
                    // Run again up to the cell to blame, so what was defined before it is graded. A re-run that is only slow
                    // (it times out before a cell that finished the first time) is not a reason to cut more cells.
                    bool slowRerun = stopBefore is not null && runProblem is not null && timedOutCell is null && runProblem.StartsWith("did not finish", StringComparison.Ordinal);
                    if (blame is { } cell && (stopBefore is null || cell < stopBefore) && !slowRerun)
                    {
                        stopBefore = cell;
                        note = $"cell {cell} {what}; the cells from {cell} on were not run for grading";
                        continue;
                    }
                    return Finish(exercises, results, blame is null ? $"the submission {what}" : $"cell {blame} {what}", note);
                }

                // 2. The checks, here; the worker only evaluates the learner's code on the inputs they choose.
                var submission = new RemoteSubmission(channel, options.CallTimeout, deadline);
                foreach (string id in only is null ? pending.ToList() : [only])
                {
                    var cells = notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code && c.ExerciseId == id && c.HasTag("exercise")).ToList();
                    bool found = cells.Count > 0 && (stopBefore is null || cells.Any(c => notebook.NumberOf(c) < stopBefore));
                    string? cellError = Short((string?)cellErrors?[id]);
                    ExerciseResult result;
                    submission.CurrentCheck = id;
                    try
                    {
                        result = CheckRegistry.Default.Grade(id, submission.ContextFor(id, found, cellError));
                    }
                    catch (SubmissionUnavailableException e)
                    {
                        result = new ExerciseResult(id, false, e.Message);
                    }
                    catch (Exception e)
                    {
                        result = new ExerciseResult(id, false, $"grading crashed: {e.GetType().Name}: {e.Message}");
                    }
                    if (submission.BrokenBecause is { } broken && !result.Message.Contains(broken, StringComparison.Ordinal))
                        result = new ExerciseResult(id, false, $"{broken}{Exit(sandbox)}");
                    int after = cells.Count == 0 ? 0 : cells.Max(notebook.NumberOf) + 1;
                    if (submission.BrokenBecause is not null && only is null && cells.Count > 0 && after <= notebook.Cells.Count
                        && (stopBefore is null || after < stopBefore))
                    {
                        retryStop[id] = (after, result.Message);
                        break; // this exercise again in the state right after its cell, the rest in a fresh worker
                    }
                    if (only is not null && result.Passed)
                        result = result with { Message = $"{result.Message} (graded in the state right after its cell: in the full run {retryStop[id].Why})" };
                    results[id] = result;
                    pending.Remove(id);
                    if (submission.BrokenBecause is not null) break; // the rest in a fresh worker
                }
            }
        }
        return Finish(exercises, results, $"time limit of {options.TimeLimit.TotalSeconds:0} s exceeded (--time-limit)", note);
    }

    private static IReadOnlyList<ExerciseResult> Finish(IReadOnlyList<string> exercises, Dictionary<string, ExerciseResult> results, string why, string? note) =>
        exercises.Select(id => results.TryGetValue(id, out var r)
            ? (note is null ? r : r with { Message = $"{r.Message} ({note})" })
            : new ExerciseResult(id, false, note is null ? why : $"{why} ({note})")).ToList();

    private static string Exit(WorkerSandbox sandbox)
    {
        Thread.Sleep(50);
        return sandbox.ExitCode is { } code ? $" (exit code {code}{sandbox.TailForMessage()})" : "";
    }

    private static string? Short(string? text) => text is null ? null : text.Length > 500 ? text[..500] + "…" : text;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
