using ModelSecurity.Notebooks.Format;
using ModelSecurity.Runtime;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Shows the library's progress (<see cref="Progress"/>) in the running cell: the first report of an operation adds a
/// <c>display_data</c> output with a display id (text/plain and a small HTML progress bar), later reports replace it
/// (<c>update_display_data</c> in a Jupyter kernel), so a notebook stores one output per long operation, in its final
/// state. Reports after the cell ended are dropped by the closed <see cref="CellContext"/>.
/// </summary>
internal sealed class CellProgressSink(CellContext context) : IProgressSink
{
    private readonly Dictionary<long, string> _displayIds = [];
    private readonly object _gate = new();

    public void Report(ProgressReport report)
    {
        var output = new DisplayOutput(ProgressDisplay.Bundle(report));
        lock (_gate)
        {
            if (_displayIds.TryGetValue(report.OperationId, out string? id))
            {
                context.Update(id, output with { DisplayId = id });
            }
            else
            {
                id = "progress-" + Guid.NewGuid().ToString("N");
                _displayIds[report.OperationId] = id;
                context.Add(output with { DisplayId = id });
            }
            if (report.IsFinal) _displayIds.Remove(report.OperationId);
        }
    }
}
