using System.Globalization;
using System.Text;
using ModelSecurity.Grading;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Parameters;

namespace ModelSecurity.Cli.Commands;

/// <summary><c>course grade</c>: runs submissions in isolated worker processes and checks their exercises.</summary>
public sealed class GradeCommand : ICommand
{
    public string Name => "grade";

    public string Summary => "grade exercise notebooks with the course's checks (each in a separate process)";

    public string Help => """
        Usage: course grade <notebook.ipynb> [options]
               course grade <folder> [-o grades.csv] [options]

        Runs each submission, then the course's checks of its exercises (cells tagged 'exercise' with metadata
        "course": {"exercise": "set/name"}). The checks are C# code in the course repository (src/Grading),
        never in the notebook. The exercises expected are all registered exercises of the sets the notebook
        names (or of --set): a deleted exercise cell counts as failed.

        One notebook: prints a table (exercise, PASS/FAIL, message) and the score.
        A folder: grades every .ipynb in it and writes a CSV (file, exercise, passed, message, score).

        Options:
          -o, --output FILE      CSV file for folder grading (default: standard output)
          --set NAME             expect the exercises of this set (repeatable), whatever the notebook says
          --time-limit SECONDS   limit per submission, notebook and checks together (default 900)
          --cell-timeout SECONDS limit per cell inside the submission (default: the time limit)
          --call-timeout SECONDS limit per call of a learner's function by a check (default 60)
          --memory MB            memory limit of the submission's process (default 4096)
          --isolate              run each submission in bubblewrap (Linux): no network, read-only file system except
                                 its own temporary folder, its own process namespace; refuses to grade where
                                 bubblewrap cannot work (says why). No network: NuGet packages the notebooks use
                                 must be in the course cache (run each chapter once with 'course run' first)
          --cache DIR            NuGet cache for '#r "nuget: ..."'
          --param NAME=VALUE     run the submission with this parameter (cell tagged 'parameters'; repeatable),
                                 as 'course run --param' does; in a folder, only notebooks declaring NAME get it
          --params-file FILE     JSON map of notebook file name to parameters, e.g. {"01-fgsm.ipynb": {"TestSubset": 100}};
                                 --param values win. The checks themselves never depend on parameters.

        How a submission is graded: a copy of it runs in a child process ('course grade-worker') in a private
        temporary folder, in its own session, with limits on memory, CPU time, processes and file size. The checks
        run in this process: they ask the child for the learner's definitions and call the learner's functions
        on inputs chosen here (fresh random ones included), the child answering with data on a private socket;
        the expected values never enter the child. Nothing the notebook prints or writes is read as a result.
        A cell that hangs or ends the process (Environment.Exit, a crash) costs only the exercises defined from that
        cell on (the notebook runs again up to it, and the messages name the cell); a learner's function that hangs
        (--call-timeout) or ends the process costs its own exercise only.
        Without --isolate the child runs as your user and can read and write your files and use the network;
        with --isolate it runs in bubblewrap: no network, everything read-only but its own folder. Threat model and
        what to add (a container, a separate account): docs/grading.md.

        Exit codes: 0 every exercise passed, 1 some failed, 2 bad usage or not a valid notebook.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
        [new("output", true, "o"), new("set", true), new("time-limit", true), new("cell-timeout", true), new("cache", true),
         new("param", true), new("params-file", true), new("call-timeout", true), new("memory", true), new("isolate", false)];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string target = args.SinglePositional("notebook or folder");
        var (files, isFolder) = NotebookFiles.Resolve(target);
        // Every submission is read before any runs: one that overwrites a sibling's file cannot change what is graded.
        var snapshots = files.ToDictionary(f => f, File.ReadAllBytes);
        var timeLimit = args.Seconds("time-limit", 900, zeroMeansNone: false)!.Value;
        var cellTimeout = args.Value("cell-timeout") is null ? null : args.Seconds("cell-timeout", 600);
        var sets = args.Values("set");
        var cliParameters = RunCommand.ParseParameters(args.Values("param"));
        var fileParameters = RunCommand.ReadParamsFile(args.Value("params-file"));
        var callTimeout = args.Seconds("call-timeout", 60, zeroMeansNone: false)!.Value;
        int memory = args.Value("memory") is { } m
            ? int.TryParse(m, System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out int mb) && mb >= 256 ? mb
              : throw new UsageException($"--memory {m}: give the limit in megabytes, at least 256")
            : 4096;
        bool isolate = args.Flag("isolate");
        if (isolate && Grading.WorkerSandbox.ProbeIsolation() is (false, var why))
        {
            context.Error.WriteLine($"error: --isolate: {why}. Grade without --isolate only submissions you trust, or in a throw-away container or VM.");
            return ExitCodes.Usage;
        }
        foreach (string set in sets)
            if (CheckRegistry.Default.ExercisesInSet(set).Count == 0)
                throw new UsageException($"no exercise set '{set}' is registered (known: {string.Join(", ", KnownSets())})");

        var rows = new List<(string File, ExerciseResult Result)>();
        bool allPassed = true;
        foreach (string file in files)
        {
            IReadOnlyList<string> expected;
            List<KeyValuePair<string, string>> parameters;
            try
            {
                var notebook = NotebookDocument.Parse(Encoding.UTF8.GetString(snapshots[file]), file);
                expected = ExpectedExercises(notebook, sets);
                parameters = ParametersFor(notebook, file, cliParameters, fileParameters, isFolder);
            }
            catch (ParameterException e)
            {
                if (!isFolder)
                {
                    context.Error.WriteLine($"error: {file}: {e.Message}");
                    return ExitCodes.Usage;
                }
                rows.Add((file, new ExerciseResult("", false, e.Message)));
                allPassed = false;
                continue;
            }
            catch (NotebookFormatException e)
            {
                if (!isFolder)
                {
                    context.Error.WriteLine($"error: {e.Message}");
                    return ExitCodes.Usage;
                }
                rows.Add((file, new ExerciseResult("", false, e.Message)));
                allPassed = false;
                continue;
            }
            if (expected.Count == 0)
            {
                string message = "no exercises: the notebook names no registered exercise set (use --set)";
                if (!isFolder)
                {
                    context.Error.WriteLine($"error: {file}: {message}");
                    return ExitCodes.Usage;
                }
                rows.Add((file, new ExerciseResult("", false, message)));
                allPassed = false;
                continue;
            }
            context.Error.WriteLine($"Grading {file} ({expected.Count} exercises)...");
            var options = new Grading.SandboxOptions(timeLimit, cellTimeout ?? timeLimit, callTimeout, memory, isolate, args.Value("cache"), parameters);
            IReadOnlyList<ExerciseResult> results;
            try
            {
                var loaded = NotebookDocument.Parse(Encoding.UTF8.GetString(snapshots[file]), file);
                results = await Task.Run(() => Grading.GradeSession.Grade(file, snapshots[file], loaded, expected, options, context.Interrupt)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever went wrong with this submission, the others are still graded.
                results = expected.Select(id => new ExerciseResult(id, false, $"grading failed: {e.GetType().Name}: {e.Message}")).ToList();
            }
            if (context.Interrupt.IsCancellationRequested)
            {
                if (isFolder) WriteCsv(rows, args.Value("output"), context, partial: true);
                return ExitCodes.Interrupted;
            }
            foreach (var result in results) rows.Add((file, result));
            allPassed &= results.All(r => r.Passed);
            if (!isFolder) context.Out.Write(Table(results));
            else if (args.Value("output") is not null) WriteCsv(rows, args.Value("output"), context, partial: true);
        }

        if (isFolder)
        {
            WriteCsv(rows, args.Value("output"), context, partial: false);
            foreach (var group in rows.GroupBy(r => r.File))
                context.Error.WriteLine($"{Path.GetFileName(group.Key)}: {group.Count(r => r.Result.Passed)}/{group.Count()}");
        }
        return allPassed && rows.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// The parameters a submission runs with: its entry of the params file, then --param (in a folder only the names the
    /// notebook declares). Checked here by injecting them into the loaded copy, so bad values are reported before any run.
    /// </summary>
    private static List<KeyValuePair<string, string>> ParametersFor(NotebookDocument notebook, string file,
        List<KeyValuePair<string, string>> cliParameters, Dictionary<string, List<KeyValuePair<string, string>>> fileParameters, bool isFolder)
    {
        var parameters = NotebookParameters.SelectFor(notebook, file, cliParameters, fileParameters, isFolder);
        NotebookParameters.Inject(notebook, parameters);
        return parameters;
    }

    internal static IReadOnlyList<string> ExpectedExercises(NotebookDocument notebook, IReadOnlyList<string> sets)
    {
        var registry = CheckRegistry.Default;
        var named = notebook.Cells.Select(c => c.ExerciseId).OfType<string>().ToList();
        var chosenSets = sets.Count > 0 ? sets : named.Select(id => id.Split('/')[0]).Distinct().ToList();
        var expected = chosenSets.SelectMany(registry.ExercisesInSet).ToList();
        // Exercise cells naming an unknown exercise are reported too (as failed: no checks).
        if (sets.Count == 0) expected.AddRange(named.Where(id => !expected.Contains(id) && chosenSets.Any(s => registry.ExercisesInSet(s).Count > 0)));
        return expected.Distinct().ToList();
    }

    private static IEnumerable<string> KnownSets() => CheckRegistry.Default.Exercises.Select(id => id.Split('/')[0]).Distinct();

    private static string Table(IReadOnlyList<ExerciseResult> results)
    {
        int width = Math.Max(8, results.Max(r => r.Exercise.Length));
        var text = new StringBuilder();
        text.Append("Exercise".PadRight(width)).Append("  Result  Message\n");
        foreach (var r in results)
            text.Append(r.Exercise.PadRight(width)).Append("  ").Append(r.Passed ? "PASS  " : "FAIL  ").Append("  ").Append(r.Message).Append('\n');
        text.Append($"Score: {results.Count(r => r.Passed)}/{results.Count}\n");
        return text.ToString();
    }

    /// <summary>
    /// Writes the CSV atomically (a temporary file renamed over the target), after every submission as well, so an
    /// interrupted run leaves the rows graded so far and never a half-written file.
    /// </summary>
    private static void WriteCsv(List<(string File, ExerciseResult Result)> rows, string? output, CliContext context, bool partial)
    {
        string csv = Csv(rows);
        if (output is null)
        {
            if (!partial) context.Out.Write(csv);
            return;
        }
        string full = Path.GetFullPath(output);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temp, csv, new UTF8Encoding(false));
        File.Move(temp, full, overwrite: true);
        if (!partial) context.Error.WriteLine($"Wrote {output}");
    }

    private static string Csv(List<(string File, ExerciseResult Result)> rows)
    {
        var scores = rows.GroupBy(r => r.File).ToDictionary(g => g.Key, g => $"{g.Count(r => r.Result.Passed)}/{g.Count()}");
        var text = new StringBuilder("file,exercise,passed,message,score\n");
        foreach (var (file, result) in rows)
            text.AppendJoin(',', Field(Path.GetFileName(file)), Field(result.Exercise), result.Passed ? "true" : "false",
                Field(result.Message), Field(scores[file])).Append('\n');
        return text.ToString();

        static string Field(string value) =>
            value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
