using System.Diagnostics;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Running;

namespace ModelSecurity.Cli;

/// <summary>Progress of a run on standard error: the running cell (k/n, first line), a heartbeat every 30 s, and the outcome.</summary>
internal sealed class ConsoleProgress(TextWriter error, string notebookName) : IRunProgress, IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);
    private readonly object _gate = new();
    private Timer? _timer;
    private Stopwatch? _clock;

    public void CellStarting(int index, int total, int cellNumber, string firstLine)
    {
        lock (_gate)
        {
            if (firstLine.Length > 70) firstLine = firstLine[..69] + "…";
            error.WriteLine($"[{index}/{total}] {notebookName} cell {cellNumber}: {firstLine}");
            _clock = Stopwatch.StartNew();
            _timer?.Dispose();
            _timer = new Timer(_ =>
            {
                lock (_gate)
                    if (_clock is not null) error.WriteLine($"        … cell {cellNumber} still running, {_clock.Elapsed.TotalSeconds:0} s");
            }, null, Heartbeat, Heartbeat);
        }
    }

    public void CellFinished(int index, int total, int cellNumber, CellResult result)
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            _clock = null;
            string time = $"{result.Duration.TotalSeconds:0.00} s";
            error.WriteLine(result.Status switch
            {
                CellStatus.Succeeded => $"        ok, {time}",
                _ => $"        {result.Status.ToString().ToUpperInvariant()} after {time}: {result.Error?.EName}: {FirstLine(result.Error?.EValue)}",
            });
            if (result.Error is { } failure && TorchSharpScalarRace.Matches($"{failure.EName}: {failure.EValue}"))
                error.WriteLine($"        {TorchSharpScalarRace.Explanation}");
        }
    }

    private static string FirstLine(string? text) => (text ?? "").Split('\n')[0];

    public void Dispose()
    {
        lock (_gate) _timer?.Dispose();
    }
}
