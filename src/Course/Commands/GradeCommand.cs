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
          --cache DIR            NuGet cache for '#r "nuget: ..."'
          --param NAME=VALUE     run the submission with this parameter (cell tagged 'parameters'; repeatable),
                                 as 'course run --param' does; in a folder, only notebooks declaring NAME get it
          --params-file FILE     JSON map of notebook file name to parameters, e.g. {"01-fgsm.ipynb": {"TestSubset": 100}};
                                 --param values win. The checks themselves never depend on parameters.

        How a submission is isolated: it runs in a child process ('course grade-worker'). Before any student
        code runs, this process sends the child a fresh random key on its standard input; the child returns
        its results signed with HMAC-SHA256 under that key in a report file, never on standard output. Text the
        notebook prints, a report it forges, a crash, Environment.Exit and running out of time all count as
        failed. Limits: the child runs as the same OS user with no filesystem or network sandbox, so a
        submission can read and write your files, and deliberate memory inspection of the child (e.g. through
        /proc/<pid>/mem) could find the key. Grade untrusted submissions in a throw-away container or VM.

        Exit codes: 0 every exercise passed, 1 some failed, 2 bad usage or not a valid notebook.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
        [new("output", true, "o"), new("set", true), new("time-limit", true), new("cell-timeout", true), new("cache", true),
         new("param", true), new("params-file", true)];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string target = args.SinglePositional("notebook or folder");
        var (files, isFolder) = NotebookFiles.Resolve(target);
        var timeLimit = args.Seconds("time-limit", 900, zeroMeansNone: false)!.Value;
        var cellTimeout = args.Value("cell-timeout") is null ? null : args.Seconds("cell-timeout", 600);
        var sets = args.Values("set");
        var cliParameters = RunCommand.ParseParameters(args.Values("param"));
        var fileParameters = RunCommand.ReadParamsFile(args.Value("params-file"));
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
                var notebook = NotebookDocument.Load(file);
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
            var outcome = await GradeWorkerLauncher.GradeAsync(file, expected, timeLimit, cellTimeout, args.Value("cache"), parameters, context.Interrupt)
                .ConfigureAwait(false);
            if (context.Interrupt.IsCancellationRequested) return ExitCodes.Interrupted;
            foreach (var result in outcome.Results) rows.Add((file, result));
            allPassed &= outcome.Results.All(r => r.Passed);
            if (!isFolder) context.Out.Write(Table(outcome.Results));
        }

        if (isFolder)
        {
            string csv = Csv(rows);
            string? output = args.Value("output");
            if (output is null) context.Out.Write(csv);
            else
            {
                File.WriteAllText(output, csv, new UTF8Encoding(false));
                context.Error.WriteLine($"Wrote {output}");
            }
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
