using System.Globalization;

namespace ModelSecurity.Runtime;

/// <summary>
/// One open task of a progress line (see <see cref="Progress.Start"/>): its counter and metrics. Thread-safe: workers of
/// a parallel loop may advance the same task. Disposing it ends the task; disposing the top-level task ends the line
/// with its final state.
/// </summary>
public sealed class ProgressScope : IDisposable
{
    private readonly List<(string Name, double Value, string Format)> _metrics = [];
    private long _done;
    private bool _open = true;

    internal ProgressScope(ProgressOperation operation, ProgressScope? parent, string name, long? total, string unit)
    {
        Operation = operation;
        Parent = parent;
        Name = name;
        Total = total;
        Unit = unit;
    }

    /// <summary>The task's name.</summary>
    public string Name { get; }

    /// <summary>What one step is (singular).</summary>
    public string Unit { get; }

    /// <summary>Steps to do, or null when unknown.</summary>
    public long? Total { get; }

    /// <summary>Steps done so far.</summary>
    public long Done
    {
        get { lock (Operation.Gate) return _done; }
    }

    /// <summary>False once disposed.</summary>
    public bool IsOpen
    {
        get { lock (Operation.Gate) return _open; }
    }

    internal ProgressOperation Operation { get; }

    internal ProgressScope? Parent { get; }

    /// <summary>
    /// Counts <paramref name="steps"/> more steps done and refreshes the display (throttled). It is also an interruption
    /// point: when the user interrupted (<see cref="Interruption"/>), it throws <see cref="OperationCanceledException"/>,
    /// so a loop that reports progress stops on Ctrl+C or a kernel interrupt.
    /// </summary>
    public ProgressScope Advance(long steps = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        lock (Operation.Gate)
        {
            if (_open) _done += steps;
            Operation.Changed();
        }
        Interruption.ThrowIfRequested();
        return this;
    }

    /// <summary>Sets the number of steps done (for loops that know their position rather than count steps).</summary>
    public ProgressScope Report(long done)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        lock (Operation.Gate)
        {
            if (_open) _done = done;
            Operation.Changed();
        }
        Interruption.ThrowIfRequested();
        return this;
    }

    /// <summary>
    /// Shows a measurement next to the counters, e.g. <c>Metric("loss", 0.41)</c> or <c>Metric("acc", 0.85, "P1")</c>;
    /// the last value stays on the final line. Shown with the next <see cref="Advance"/>.
    /// </summary>
    /// <param name="name">Short label.</param>
    /// <param name="value">The value.</param>
    /// <param name="format">.NET numeric format (invariant culture), default 3 significant decimals.</param>
    public ProgressScope Metric(string name, double value, string format = "0.###")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (Operation.Gate) SetMetric(name, value, format);
        return this;
    }

    /// <summary>Ends the task: a nested one hands its metrics to its parent; the top-level one shows its final state.</summary>
    public void Dispose()
    {
        lock (Operation.Gate)
        {
            if (!_open) return;
            _open = false;
            Operation.Ended(this);
        }
        Progress.Ended(this);
    }

    internal IReadOnlyList<(string Name, double Value, string Format)> Metrics => _metrics;

    /// <summary>Done steps without taking the lock (the operation holds it).</summary>
    internal long DoneUnlocked => _done;

    internal void CloseUnlocked() => _open = false;

    internal void SetMetric(string name, double value, string format)
    {
        int index = _metrics.FindIndex(m => m.Name == name);
        if (index >= 0) _metrics[index] = (name, value, format);
        else _metrics.Add((name, value, format));
    }

    internal static string FormatMetric((string Name, double Value, string Format) metric) =>
        $"{metric.Name} {metric.Value.ToString(metric.Format, CultureInfo.InvariantCulture)}";
}
