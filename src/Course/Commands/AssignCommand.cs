using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Scripting;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course assign</c>: the student handout from the teacher's notebooks folder (nbgrader's generate_assignment,
/// otter assign): the chapter notebooks with the outputs of exercise and check cells cleared, no <c>solutions/</c>,
/// and the hints unless <c>--no-hints</c>.
/// </summary>
/// <remarks>
/// Outputs of the other cells are kept, unlike nbgrader's default: here they are the worked examples' results (tables,
/// charts, attacked images) that a learner reads before running anything, and some take 20 minutes to recompute. Only
/// the exercise and check cells' outputs could tell something about an answer, so only those are cleared.
/// </remarks>
public sealed partial class AssignCommand : ICommand
{
    public string Name => "assign";

    public string Summary => "write the student handout: chapters without solutions (and optionally without hints)";

    public string Help => """
        Usage: course assign <notebooks-folder> -o <handout-folder> [--no-hints]

        Writes the student handout of the course's notebooks folder (e.g. notebooks/):
          * every chapter notebook directly in the folder, with the outputs of its exercise cells (tag 'exercise')
            and check cells (tag 'check') cleared; the other cells keep their stored outputs (the worked examples);
          * hints/ (the hints Exercise("...").Hint() shows), unless --no-hints;
          * no solutions/: in the handout, Exercise("...").Solution() says "this handout has no solutions".
        Relative '#r'/'#load' paths are rewritten so the handout finds the helper library from its own folder;
        put the handout inside the course folder (e.g. handout/) to hand it out with a clone of the course.
        Refuses to write a notebook whose exercise cell equals its reference solution.
        The handout runs with 'course run' and grades with 'course grade' like the chapters.

        Options:
          -o, --output DIR   the handout folder (created; files of the same name are replaced)
          --no-hints         leave the hints out

        Exit codes: 0 written, 2 bad usage or a solution would leak.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } = [new("output", true, "o"), new("no-hints", false)];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string source = Path.GetFullPath(args.SinglePositional("notebooks-folder"));
        if (!Directory.Exists(source)) throw new UsageException($"'{source}' is not a folder; give the teacher's notebooks folder, e.g. notebooks/");
        string output = Path.GetFullPath(args.Value("output") ?? throw new UsageException("--output (-o) is required: the handout folder"));
        if (Path.GetFileName(source.TrimEnd(Path.DirectorySeparatorChar)) == ExerciseMaterials.SolutionsFolder)
            throw new UsageException($"'{source}' is the solutions folder; give the chapters' folder (its parent)");
        if (string.Equals(source.TrimEnd(Path.DirectorySeparatorChar), output.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            throw new UsageException("the handout folder must differ from the notebooks folder");
        bool hints = !args.Flag("no-hints");

        var (files, _) = NotebookFiles.Resolve(source);
        if (files.Count == 0) throw new UsageException($"'{source}' has no notebooks");
        string solutions = Path.Combine(source, ExerciseMaterials.SolutionsFolder);

        var handouts = new List<(string Name, NotebookDocument Notebook)>();
        foreach (string file in files)
        {
            var notebook = NotebookDocument.Load(file);
            if (LeakedSolution(notebook, Path.Combine(solutions, Path.GetFileName(file))) is { } leak)
            {
                context.Error.WriteLine($"course assign: {Path.GetFileName(file)}: the exercise cell of {leak} is the reference solution; " +
                                        "blank it (as in the chapter notebooks) before handing it out.");
                return Task.FromResult(ExitCodes.Usage);
            }
            foreach (var cell in notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code))
            {
                if (cell.HasTag("exercise") || cell.HasTag("check"))
                {
                    cell.ClearOutputs();
                    cell.Metadata.Remove("execution");
                    if (cell.Metadata["course"] is JsonObject course) { course.Remove("duration_seconds"); course.Remove("status"); }
                }
                string rewritten = RewriteRelativeReferences(cell.Source, source, output);
                if (rewritten != cell.Source) cell.Source = rewritten;
            }
            handouts.Add((Path.GetFileName(file), notebook));
        }

        Directory.CreateDirectory(output);
        foreach (var (name, notebook) in handouts) notebook.Save(Path.Combine(output, name));
        int hintFiles = 0;
        string hintsSource = ExerciseMaterials.HintsDirectory(source);
        if (hints && Directory.Exists(hintsSource))
        {
            string hintsTarget = Path.Combine(output, ExerciseMaterials.HintsFolder);
            Directory.CreateDirectory(hintsTarget);
            foreach (string file in Directory.EnumerateFiles(hintsSource, "*.json").Order(StringComparer.Ordinal))
            {
                ExerciseMaterials.ReadHintsFile(file); // a broken hints file is the teacher's to fix now, not the learner's later
                File.Copy(file, Path.Combine(hintsTarget, Path.GetFileName(file)), overwrite: true);
                hintFiles++;
            }
        }
        context.Error.WriteLine($"Wrote the handout to {output}: {handouts.Count} notebook(s) (exercise and check outputs cleared), " +
                                $"{(hints ? $"{hintFiles} hints file(s)" : "no hints")}, no solutions.");
        return Task.FromResult(ExitCodes.Ok);
    }

    /// <summary>The id of an exercise whose cell equals the reference solution's (a stub never does), or null.</summary>
    private static string? LeakedSolution(NotebookDocument notebook, string solutionFile)
    {
        if (!File.Exists(solutionFile)) return null;
        var solution = NotebookDocument.Load(solutionFile);
        foreach (var cell in notebook.Cells.Where(c => c.ExerciseId is not null && c.HasTag("exercise")))
        {
            var reference = solution.Cells.FirstOrDefault(c => c.ExerciseId == cell.ExerciseId && c.HasTag("exercise"));
            if (reference is not null && Normalize(reference.Source) == Normalize(cell.Source)) return cell.ExerciseId;
        }
        return null;

        static string Normalize(string code) => Whitespace().Replace(code, " ").Trim();
    }

    /// <summary>Rewrites relative <c>#r "path"</c> and <c>#load "path"</c> so they point at the same files from the handout folder.</summary>
    internal static string RewriteRelativeReferences(string code, string fromFolder, string toFolder) =>
        ReferenceDirective().Replace(code, m =>
        {
            string path = m.Groups["path"].Value;
            if (path.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase) || Path.IsPathRooted(path)) return m.Value;
            string target = Path.GetFullPath(Path.Combine(fromFolder, path));
            string relative = Path.GetRelativePath(toFolder, target).Replace('\\', '/');
            return m.Groups["head"].Value + relative + "\"";
        });

    [GeneratedRegex("(?m)^(?<head>\\s*#(?:r|load)\\s+\")(?<path>[^\"]+)\"")]
    private static partial Regex ReferenceDirective();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
