namespace ModelSecurity.Runtime;

/// <summary>
/// Progress of long operations (training, attack sweeps, certification, …), reported by library code without knowing
/// its host. A loop opens a task with <see cref="Start"/>, calls <see cref="ProgressScope.Advance"/> per step and disposes
/// the task at the end; a task started while another is open nests inside it, and the whole nest shows as one line
/// ("PGD-AT training · epoch 3/6 · batch 120/235 · loss 0.41 · ETA 1:12"). Where the line goes is the host's choice:
/// the sink bound with <see cref="Use"/> (a notebook engine binds one per running cell), else <see cref="DefaultSink"/>
/// (the console).
/// </summary>
/// <example>
/// <code>
/// using var epochs = Progress.Start("training", recipe.Epochs, "epoch");
/// for (int epoch = 1; epoch &lt;= recipe.Epochs; epoch++)
/// {
///     using (var batches = Progress.Start("epoch", loader.BatchCount, "batch"))
///         foreach (var batch in loader) { …; batches.Metric("loss", loss).Advance(); }
///     epochs.Advance();
/// }
/// </code>
/// </example>
public static class Progress
{
    private static readonly AsyncLocal<ProgressScope?> CurrentScope = new();
    private static readonly AsyncLocal<Binding?> BoundSink = new();
    private static readonly object Gate = new();
    private static IProgressSink _defaultSink = new ConsoleProgressSink();
    private static ProgressSettings _defaultSettings = ProgressSettings.Default;

    /// <summary>A sink that shows nothing (benchmarks, or a caller that reports progress its own way).</summary>
    public static IProgressSink Silent { get; } = new SilentSink();

    /// <summary>Where progress goes when no sink is bound to the current flow: the console (standard error) by default.</summary>
    public static IProgressSink DefaultSink
    {
        get { lock (Gate) return _defaultSink; }
        set { ArgumentNullException.ThrowIfNull(value); lock (Gate) _defaultSink = value; }
    }

    /// <summary>The throttling of <see cref="DefaultSink"/>.</summary>
    public static ProgressSettings DefaultSettings
    {
        get { lock (Gate) return _defaultSettings; }
        set { ArgumentNullException.ThrowIfNull(value); lock (Gate) _defaultSettings = value; }
    }

    /// <summary>The innermost open task of the current flow, or null.</summary>
    public static ProgressScope? Current => CurrentScope.Value is { IsOpen: true } scope ? scope : null;

    /// <summary>
    /// Opens a task of <paramref name="total"/> steps: nested inside <see cref="Current"/> when one is open (its line
    /// gains this task's counter), else a new top-level operation reported to the bound sink. Dispose it when done.
    /// </summary>
    /// <param name="name">What runs, e.g. "PGD-AT training" (shown at the start of a top-level line).</param>
    /// <param name="total">Steps to do, or null when unknown (no fraction, no ETA).</param>
    /// <param name="unit">What one step is, singular, e.g. "epoch", "batch", "image" (the final line pluralizes it).</param>
    public static ProgressScope Start(string name, long? total = null, string unit = "step")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(unit);
        if (total is < 0) throw new ArgumentOutOfRangeException(nameof(total), total, "A task's total is a number of steps (0 or more), or null when unknown.");
        var parent = Current;
        ProgressScope scope;
        if (parent is not null)
        {
            scope = parent.Operation.StartChild(parent, name, total, unit);
        }
        else
        {
            var binding = BoundSink.Value ?? new Binding(DefaultSink, DefaultSettings);
            scope = new ProgressOperation(binding.Sink, binding.Settings).StartRoot(name, total, unit);
        }
        CurrentScope.Value = scope;
        return scope;
    }

    /// <summary>
    /// Sends the progress of operations started in the current flow (this thread, and tasks it starts) to
    /// <paramref name="sink"/> until the returned handle is disposed. Hosts call it: a notebook engine binds the running cell.
    /// </summary>
    public static IDisposable Use(IProgressSink sink, ProgressSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var previous = BoundSink.Value;
        BoundSink.Value = new Binding(sink, settings ?? ProgressSettings.Default);
        return new Restore(previous);
    }

    /// <summary>Called by a disposed task: its parent becomes the current task again.</summary>
    internal static void Ended(ProgressScope scope)
    {
        if (ReferenceEquals(CurrentScope.Value, scope)) CurrentScope.Value = scope.Parent is { IsOpen: true } parent ? parent : null;
    }

    private sealed record Binding(IProgressSink Sink, ProgressSettings Settings);

    private sealed class Restore(Binding? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            BoundSink.Value = previous;
        }
    }

    private sealed class SilentSink : IProgressSink
    {
        public void Report(ProgressReport report) { }
    }
}
