using System.Net;
using ModelSecurity.Grading;
using ModelSecurity.Grading.Feedback;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Formatting;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Scripting;

/// <summary>
/// An exercise as a notebook cell sees it (<c>Exercise("01-fgsm/my-fgsm")</c>): <see cref="Check"/> runs the exercise's
/// registered checks (the ones <c>course grade</c> runs) on the notebook's current definitions, <see cref="Hint"/> shows the
/// next hint, <see cref="Solution"/> the reference solution. Each shows its result below the cell.
/// </summary>
public sealed class ExerciseCell
{
    // A check runs the learner's code, which could call Check() again: that nested call is refused, not recursed into.
    [ThreadStatic] private static bool _checking;

    private readonly NotebookGlobals _globals;

    internal ExerciseCell(NotebookGlobals globals, string id)
    {
        _globals = globals;
        Id = id;
    }

    /// <summary>The exercise id, <c>set/name</c>.</summary>
    public string Id { get; }

    private NotebookEngine? Engine => _globals.Engine;

    private bool Grading => Engine?.Host == NotebookHost.Grader;

    /// <summary>
    /// Checks the exercise against the notebook's current state (what the cells above defined) and shows ✔ or ✘ with what
    /// was compared and the first problem. While <c>course grade</c> runs the notebook it only prints a note: the grader
    /// runs the checks itself, and this cell does not count.
    /// </summary>
    public void Check()
    {
        if (Grading)
        {
            Show(ExerciseView.Note($"{Id}: checks run by the grader (this cell does not count)."));
            return;
        }
        if (Engine is null || _checking)
        {
            Show(ExerciseView.Note(_checking ? "A check is already running (a check cannot start another check)." : "Checks run only inside the course's notebook engine."));
            return;
        }
        CheckReport report;
        _checking = true;
        try
        {
            report = ExerciseFeedback.Check(CheckRegistry.Default, new LiveExerciseContext(Engine, Id), ErrorFormatter.FirstCellLocation);
        }
        catch (InvalidOperationException e)
        {
            report = new CheckReport(Id, [new CheckLine("check", false, e.Message)]);
        }
        finally
        {
            _checking = false;
        }
        Show(report);
    }

    /// <summary>Shows the next hint (the first one the first time), or hint <paramref name="number"/> (1-based).</summary>
    public void Hint(int? number = null)
    {
        if (Grading) { Show(ExerciseView.Note($"{Id}: hints are not shown while grading.")); return; }
        if (CheckRegistry.Default.ChecksFor(Id).Count == 0) { Show(ExerciseFeedback.Unknown(CheckRegistry.Default, Id)); return; }
        IReadOnlyList<string>? hints;
        try
        {
            hints = ExerciseMaterials.Hints(Directory, Id);
        }
        catch (InvalidDataException e)
        {
            Show(ExerciseView.Note(e.Message));
            return;
        }
        if (hints is null) { Show(ExerciseView.Note("This handout has no hints; ask your teacher.")); return; }
        if (hints.Count == 0) { Show(ExerciseView.Note($"No hints are written for {Id} yet; `.Solution()` shows the reference solution.")); return; }

        int shown;
        lock (_globals.HintsShown) shown = _globals.HintsShown.GetValueOrDefault(Id);
        int n = number ?? Math.Min(shown + 1, hints.Count);
        if (n < 1 || n > hints.Count)
        {
            Show(ExerciseView.Note($"{Id} has {hints.Count} hint{(hints.Count == 1 ? "" : "s")}: `.Hint(1)` to `.Hint({hints.Count})`."));
            return;
        }
        lock (_globals.HintsShown) _globals.HintsShown[Id] = Math.Max(shown, n);
        string next = n < hints.Count ? $"`.Hint()` again for hint {n + 1}." : "That was the last hint; `.Solution()` shows the reference solution.";
        Show(ExerciseView.Titled($"Hint {n} of {hints.Count} for {Id}", hints[n - 1], next));
    }

    /// <summary>Shows the reference solution's code (from <c>solutions/&lt;chapter&gt;.ipynb</c> next to the notebook).</summary>
    public void Solution()
    {
        if (Grading) { Show(ExerciseView.Note($"{Id}: solutions are not shown while grading.")); return; }
        if (CheckRegistry.Default.ChecksFor(Id).Count == 0) { Show(ExerciseFeedback.Unknown(CheckRegistry.Default, Id)); return; }
        string? code;
        try
        {
            code = ExerciseMaterials.SolutionCode(Directory, Id);
        }
        catch (Exception e) when (e is InvalidDataException or Format.NotebookFormatException)
        {
            Show(ExerciseView.Note(e.Message));
            return;
        }
        if (code is null) { Show(ExerciseView.Note("This handout has no solutions; ask your teacher.")); return; }
        Show(ExerciseView.Code($"Reference solution of {Id}", code));
    }

    /// <inheritdoc />
    public override string ToString() => $"Exercise {Id}: .Check(), .Hint(), .Solution()";

    private string Directory => Engine?.BaseDirectory ?? System.IO.Directory.GetCurrentDirectory();

    private static void Show(object value) => Displayer.Show(value, null);
}

/// <summary>A note, hint or solution shown below a cell: text/html with a text/plain twin.</summary>
internal sealed class ExerciseView(string text, string html) : IHtmlDisplay
{
    public static ExerciseView Note(string text) =>
        new(text, $"<div class=\"course-note\" style=\"color:#555\">{CheckReport.InlineCodeHtml(text)}</div>");

    public static ExerciseView Titled(string title, string body, string footer) =>
        new($"{title}:\n{body}\n{footer}",
            "<div class=\"course-hint\" style=\"border-left:4px solid #f9a825;padding:4px 10px;margin:2px 0\">" +
            $"<div style=\"font-weight:bold\">{WebUtility.HtmlEncode(title)}</div><div>{CheckReport.InlineCodeHtml(body)}</div>" +
            $"<div style=\"color:#555\">{CheckReport.InlineCodeHtml(footer)}</div></div>");

    public static ExerciseView Code(string title, string code) =>
        new($"{title}:\n\n{code}",
            $"<div class=\"course-solution\"><div style=\"font-weight:bold\">{WebUtility.HtmlEncode(title)}</div>{CSharpHighlighter.ToHtml(code)}</div>");

    public string ToHtml() => html;

    public override string ToString() => text;
}
