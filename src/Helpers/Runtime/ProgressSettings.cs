namespace ModelSecurity.Runtime;

/// <summary>How often progress reaches a sink.</summary>
public sealed record ProgressSettings
{
    /// <summary>The defaults: at most 4 updates per second, nothing shown for operations shorter than a second.</summary>
    public static readonly ProgressSettings Default = new();

    /// <summary>Least time between two reports of one operation (the final report is never held back).</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// An operation is shown only once it has run this long, so quick calls (a small evaluation inside a loop) leave no
    /// trace; one that ends earlier is never shown. Zero shows every operation.
    /// </summary>
    public TimeSpan ShowAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock (tests substitute a manual one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
