using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Timing;

/// <summary>One code cell's stored run time.</summary>
/// <param name="CellNumber">1-based position in the notebook (all cells counted), as <c>course run</c> reports it.</param>
/// <param name="FirstLine">The cell's first non-empty line.</param>
/// <param name="Seconds">Its <c>course.duration_seconds</c>; null when the cell has no stored timing (never run, or run
/// by a tool that does not record it): unknown, which is not the same as fast.</param>
/// <param name="IsRestoreCell">The first cell with <c>#r "nuget: …"</c> restores: a one-time start-up cost.</param>
public sealed record CellTiming(int CellNumber, string FirstLine, double? Seconds, bool IsRestoreCell);

/// <summary>
/// The per-cell run times a notebook stores (<c>metadata.course.duration_seconds</c>, written by <c>course run</c>, the
/// kernel-free runner and the grader): its total and its longest cell.
/// </summary>
public sealed class NotebookTimings
{
    private NotebookTimings(string name, IReadOnlyList<CellTiming> cells)
    {
        Name = name;
        Cells = cells;
    }

    /// <summary>The notebook's file name.</summary>
    public string Name { get; }

    /// <summary>Every code cell, in order.</summary>
    public IReadOnlyList<CellTiming> Cells { get; }

    /// <summary>Code cells without a stored timing.</summary>
    public int UnknownCells => Cells.Count(c => c.Seconds is null);

    /// <summary>Sum of the known cell times (a lower bound of the total when <see cref="UnknownCells"/> &gt; 0).</summary>
    public double KnownSeconds => Cells.Sum(c => c.Seconds ?? 0);

    /// <summary>The total run time, or null when any code cell's time is unknown.</summary>
    public double? TotalSeconds => UnknownCells == 0 ? KnownSeconds : null;

    /// <summary>The longest timed cell, the restore cell excluded when <paramref name="exceptRestoreCell"/>; null if none is timed.</summary>
    public CellTiming? Longest(bool exceptRestoreCell) =>
        Cells.Where(c => c.Seconds is not null && !(exceptRestoreCell && c.IsRestoreCell))
            .OrderByDescending(c => c.Seconds).ThenBy(c => c.CellNumber).FirstOrDefault();

    /// <summary>Reads the stored timings of a notebook file.</summary>
    /// <exception cref="NotebookFormatException">Not a notebook, or a cell's duration is not a non-negative number.</exception>
    public static NotebookTimings Load(string path) => Of(NotebookDocument.Load(path), Path.GetFileName(path));

    /// <summary>Reads the stored timings of a loaded (or just executed) notebook.</summary>
    /// <exception cref="NotebookFormatException">A cell's duration is not a non-negative number.</exception>
    public static NotebookTimings Of(NotebookDocument notebook, string name)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        var cells = new List<CellTiming>();
        bool restoreSeen = false;
        foreach (var cell in notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code))
        {
            int number = notebook.NumberOf(cell);
            string source = cell.Source;
            bool isRestore = !restoreSeen && IsRestore(source);
            restoreSeen |= isRestore;
            cells.Add(new CellTiming(number, FirstLine(source), Duration(notebook, cell, number), isRestore));
        }
        return new NotebookTimings(name, cells);
    }

    private static double? Duration(NotebookDocument notebook, NotebookCell cell, int number)
    {
        if (cell.Metadata["course"] is not JsonObject course || course["duration_seconds"] is not { } node) return null;
        if (node is JsonValue value && value.TryGetValue(out double seconds) && seconds >= 0 && double.IsFinite(seconds)) return seconds;
        throw new NotebookFormatException(notebook.FilePath,
            $"cell {number}: metadata.course.duration_seconds is {node.ToJsonString()}, not a number of seconds; " +
            "re-run the notebook with 'course run' or remove the field");
    }

    private static bool IsRestore(string source) =>
        source.Split('\n').Any(l => l.TrimStart().StartsWith("#r \"nuget:", StringComparison.OrdinalIgnoreCase));

    private static string FirstLine(string source) =>
        source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
}
