namespace ModelSecurity.Notebooks.Timing;

/// <summary>
/// The course's time budget (issue 21): each chapter at most <see cref="ChapterSeconds"/> in all, no cell over
/// <see cref="CellSeconds"/> (the first cell's one-time NuGet restore excepted), the whole course at most
/// <see cref="CourseSeconds"/>; measured at default parameters on two idle cores.
/// </summary>
public sealed record TimingBudget
{
    /// <summary>Most a chapter may take in all (default 300 s).</summary>
    public double ChapterSeconds { get; init; } = 300;

    /// <summary>Most one cell may take (default 60 s).</summary>
    public double CellSeconds { get; init; } = 60;

    /// <summary>Most the whole course may take (default 20 minutes).</summary>
    public double CourseSeconds { get; init; } = 1200;

    /// <summary>The first <c>#r "nuget: …"</c> cell is exempt from <see cref="CellSeconds"/> (it still counts in totals).</summary>
    public bool ExceptRestoreCell { get; init; } = true;

    /// <summary>What in <paramref name="timings"/> exceeds the budget, in words; empty when nothing does.</summary>
    public IReadOnlyList<string> Violations(NotebookTimings timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        var found = new List<string>();
        // A lower bound over the limit is over the limit even when some cells are untimed.
        if (timings.KnownSeconds > ChapterSeconds)
            found.Add($"total {timings.KnownSeconds:0.0} s > {ChapterSeconds:0} s");
        foreach (var cell in timings.Cells)
            if (cell.Seconds > CellSeconds && !(ExceptRestoreCell && cell.IsRestoreCell))
                found.Add($"cell {cell.CellNumber} {cell.Seconds:0.0} s > {CellSeconds:0} s");
        return found;
    }

    /// <summary>True when the chapters together exceed <see cref="CourseSeconds"/> (untimed cells count as 0 here, so this is a lower bound).</summary>
    public bool CourseOver(IEnumerable<NotebookTimings> chapters) => chapters.Sum(c => c.KnownSeconds) > CourseSeconds;
}
