using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>How a cell run ended.</summary>
public enum CellStatus
{
    /// <summary>Ran to the end.</summary>
    Succeeded,
    /// <summary>Threw an exception, failed to compile, or its directives failed (e.g. NuGet restore).</summary>
    Failed,
    /// <summary>Not run: another language, an unsupported magic command, or the engine is unusable after a timeout.</summary>
    Rejected,
    /// <summary>Did not finish within the time limit. The engine cannot stop the code safely: it keeps running in the background, and the engine refuses further cells.</summary>
    TimedOut,
    /// <summary>Interrupted (Ctrl+C).</summary>
    Interrupted,
}

/// <summary>Options of one cell run.</summary>
public sealed record CellRunOptions
{
    /// <summary>1-based position of the cell in its notebook; used in error messages and in the file name Roslyn reports.</summary>
    public int CellNumber { get; init; } = 1;

    /// <summary>The kernel named by the cell's metadata (null: C#).</summary>
    public string? KernelName { get; init; }

    /// <summary>Time limit, or null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>After an interruption request, how long to wait for the cell to stop by itself.</summary>
    public TimeSpan InterruptGrace { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>The outcome of one cell run. The outputs went to the sink as they happened.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="ExecutionCount">The execution count given to the cell (0 when it was not run).</param>
/// <param name="StartTime">When it started.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Error">The error output, for failures.</param>
public sealed record CellResult(CellStatus Status, int ExecutionCount, DateTimeOffset StartTime, TimeSpan Duration, ErrorOutput? Error);
