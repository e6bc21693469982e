namespace ModelSecurity.Runtime;

/// <summary>The state of one top-level operation (its nested tasks folded into one line), as a host shows it.</summary>
/// <param name="OperationId">Identifies the operation within the process; the same id is updated in place.</param>
/// <param name="Name">The top-level task's name, e.g. "PGD-AT training".</param>
/// <param name="Text">
/// One display line, e.g. "PGD-AT training · epoch 3/6 · batch 120/235 · loss 0.41 · ETA 1:12", or when final
/// "PGD-AT training · 6/6 epochs · 4:12 · loss 0.31".
/// </param>
/// <param name="Fraction">Done fraction in [0, 1] over all nesting levels, or null when the total is unknown.</param>
/// <param name="Elapsed">Time since the operation started.</param>
/// <param name="Remaining">Estimated time left (from the done fraction so far), or null when unknown.</param>
/// <param name="IsFinal">True for the last report: the operation ended (completed, stopped early or interrupted).</param>
public sealed record ProgressReport(long OperationId, string Name, string Text, double? Fraction, TimeSpan Elapsed, TimeSpan? Remaining, bool IsFinal);
