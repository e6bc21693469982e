using System.Globalization;

namespace ModelSecurity.Runtime;

/// <summary>
/// The shared state of one top-level progress line: its open tasks (outermost first), the clock, the throttle and the
/// sink. Every member runs under <see cref="Gate"/>, and reports go to the sink under it too, so they arrive in order.
/// </summary>
internal sealed class ProgressOperation
{
    private const string Separator = " · ";
    private static long _lastId;

    private readonly List<ProgressScope> _levels = [];
    private readonly IProgressSink _sink;
    private readonly ProgressSettings _settings;
    private readonly long _started;
    private long _lastReport;
    private bool _shown;
    private bool _ended;

    public ProgressOperation(IProgressSink sink, ProgressSettings settings)
    {
        _sink = sink;
        _settings = settings;
        _started = settings.Clock.GetTimestamp();
        Id = Interlocked.Increment(ref _lastId);
    }

    public object Gate { get; } = new();

    public long Id { get; }

    public ProgressScope StartRoot(string name, long? total, string unit)
    {
        var root = new ProgressScope(this, null, name, total, unit);
        lock (Gate) _levels.Add(root);
        return root;
    }

    public ProgressScope StartChild(ProgressScope parent, string name, long? total, string unit)
    {
        var child = new ProgressScope(this, parent, name, total, unit);
        lock (Gate)
        {
            if (!_ended) _levels.Add(child);
            else child.CloseUnlocked();
            Changed();
        }
        return child;
    }

    /// <summary>Something changed: report it unless the operation is still too young or reported too recently.</summary>
    public void Changed()
    {
        if (_ended) return;
        var elapsed = _settings.Clock.GetElapsedTime(_started);
        if (elapsed < _settings.ShowAfter) return;
        if (_shown && _settings.Clock.GetElapsedTime(_lastReport) < _settings.MinInterval) return;
        Emit(elapsed, isFinal: false);
    }

    /// <summary>A task was disposed: a nested one hands its metrics up; the top-level one ends the line.</summary>
    public void Ended(ProgressScope scope)
    {
        if (_ended) return;
        int index = _levels.IndexOf(scope);
        if (index < 0) return;
        if (index > 0)
        {
            // Tasks nested in this one that were never disposed end with it.
            for (int i = _levels.Count - 1; i >= index; i--) _levels[i].CloseUnlocked();
            foreach (var metric in _levels.Skip(index).SelectMany(level => level.Metrics).ToList())
                _levels[index - 1].SetMetric(metric.Name, metric.Value, metric.Format);
            _levels.RemoveRange(index, _levels.Count - index);
            return; // no report: the parent's Advance, which usually follows, shows the new state

        }
        var elapsed = _settings.Clock.GetElapsedTime(_started);
        foreach (var level in _levels.Skip(1).Reverse())
            foreach (var metric in level.Metrics) _levels[0].SetMetric(metric.Name, metric.Value, metric.Format);
        foreach (var level in _levels) level.CloseUnlocked();
        if (_shown || elapsed >= _settings.ShowAfter) Emit(elapsed, isFinal: true);
        _ended = true;
        _levels.Clear();
    }

    private void Emit(TimeSpan elapsed, bool isFinal)
    {
        double? fraction = Fraction();
        TimeSpan? remaining = !isFinal && fraction is > 0 and < 1
            ? TimeSpan.FromTicks((long)(elapsed.Ticks * (1 - fraction.Value) / fraction.Value))
            : null;
        string text = isFinal ? FinalLine(elapsed) : LiveLine(remaining);
        _shown = true;
        _lastReport = _settings.Clock.GetTimestamp();
        _sink.Report(new ProgressReport(Id, _levels[0].Name, text, isFinal && fraction is null ? null : fraction, elapsed, remaining, isFinal));
    }

    /// <summary>The done fraction over all levels: each open child counts as that fraction of its parent's current step.</summary>
    private double? Fraction()
    {
        double inner = 0;
        for (int i = _levels.Count - 1; i >= 0; i--)
        {
            var level = _levels[i];
            if (level.Total is not { } total)
            {
                if (i == 0) return null;
                inner = 0;
                continue;
            }
            inner = total == 0 ? 1 : Math.Clamp((level.DoneUnlocked + inner) / total, 0, 1);
        }
        return inner;
    }

    private string LiveLine(TimeSpan? remaining)
    {
        var parts = new List<string> { _levels[0].Name };
        for (int i = 0; i < _levels.Count; i++)
        {
            var level = _levels[i];
            bool hasChild = i < _levels.Count - 1;
            // An outer task's current step is the one its child is working on: "epoch 3/6" during the third epoch.
            long shown = hasChild && (level.Total is null || level.DoneUnlocked < level.Total) ? level.DoneUnlocked + 1 : level.DoneUnlocked;
            parts.Add(level.Total is { } total ? $"{level.Unit} {Count(shown)}/{Count(total)}" : $"{Count(shown)} {Plural(level.Unit, shown)}");
        }
        parts.AddRange(MergedMetrics());
        if (remaining is { } eta) parts.Add("ETA " + Duration(eta));
        return string.Join(Separator, parts);
    }

    private string FinalLine(TimeSpan elapsed)
    {
        var root = _levels[0];
        long done = root.DoneUnlocked;
        string count = root.Total is { } total
            ? $"{(done < total ? "stopped at " : "")}{Count(done)}/{Count(total)} {Plural(root.Unit, total)}"
            : $"{Count(done)} {Plural(root.Unit, done)}";
        var parts = new List<string> { root.Name, count, Duration(elapsed) };
        parts.AddRange(MergedMetrics());
        return string.Join(Separator, parts);
    }

    /// <summary>Metrics of all levels, outermost first; an inner level's value of the same name wins.</summary>
    private IEnumerable<string> MergedMetrics()
    {
        var merged = new List<(string Name, double Value, string Format)>();
        foreach (var metric in _levels.SelectMany(level => level.Metrics))
        {
            int index = merged.FindIndex(m => m.Name == metric.Name);
            if (index >= 0) merged[index] = metric;
            else merged.Add(metric);
        }
        return merged.Select(ProgressScope.FormatMetric);
    }

    private static string Count(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>"epoch" → "epochs", "batch" → "batches", "query" → "queries"; units are the library's own English words.</summary>
    internal static string Plural(string unit, long count)
    {
        if (count == 1) return unit;
        if (unit.EndsWith("tch", StringComparison.Ordinal) || unit.EndsWith("sh", StringComparison.Ordinal) ||
            unit.EndsWith("ss", StringComparison.Ordinal) || unit.EndsWith('x')) return unit + "es";
        if (unit.Length > 1 && unit.EndsWith('y') && !"aeiou".Contains(unit[^2])) return unit[..^1] + "ies";
        return unit + "s";
    }

    /// <summary>"0:07", "4:12", "1:02:03".</summary>
    internal static string Duration(TimeSpan time)
    {
        long seconds = (long)Math.Round(Math.Max(0, time.TotalSeconds));
        return seconds >= 3600
            ? $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}"
            : $"{seconds / 60}:{seconds % 60:00}";
    }
}
