namespace ModelSecurity.Runtime;

/// <summary>
/// Shows the progress of long operations. The library reports through <see cref="Progress"/> without knowing its host;
/// the host (console, notebook cell, Jupyter kernel) decides how a report looks. Reports arrive throttled
/// (<see cref="ProgressSettings"/>), in order, one operation id per top-level <see cref="Progress.Start"/>.
/// </summary>
public interface IProgressSink
{
    /// <summary>
    /// The operation <see cref="ProgressReport.OperationId"/> changed: the first report of an id creates its display, later
    /// ones replace it; the report with <see cref="ProgressReport.IsFinal"/> set is the last one of that id.
    /// </summary>
    void Report(ProgressReport report);
}
