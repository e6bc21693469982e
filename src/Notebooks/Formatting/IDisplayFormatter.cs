using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Turns values of some kind into a MIME bundle. Register more with <see cref="FormatterRegistry.Add"/>;
/// the most recently added formatter that accepts a value wins.
/// </summary>
public interface IDisplayFormatter
{
    /// <summary>True when this formatter handles <paramref name="value"/>.</summary>
    bool CanFormat(object value);

    /// <summary>Formats <paramref name="value"/>; the bundle should contain <c>text/plain</c> as a fallback.</summary>
    FormattedValue Format(object value, DisplayContext context);
}

/// <summary>A formatter for one type (and types derived from it).</summary>
/// <typeparam name="T">The type handled.</typeparam>
public abstract class DisplayFormatter<T> : IDisplayFormatter
{
    /// <inheritdoc />
    public virtual bool CanFormat(object value) => value is T;

    /// <inheritdoc />
    public FormattedValue Format(object value, DisplayContext context) => Format((T)value, context);

    /// <summary>Formats a value of type <typeparamref name="T"/>.</summary>
    protected abstract FormattedValue Format(T value, DisplayContext context);
}

/// <summary>What a formatter may know about where its output goes.</summary>
public sealed class DisplayContext
{
    /// <summary>Creates a context.</summary>
    public DisplayContext(FormatterRegistry formatters, DisplaySession session)
    {
        Formatters = formatters;
        Session = session;
    }

    /// <summary>All formatters, to format nested values.</summary>
    public FormatterRegistry Formatters { get; }

    /// <summary>State shared by all outputs of one notebook run (e.g. whether plotly.js was embedded already).</summary>
    public DisplaySession Session { get; }

    /// <summary>Rows shown in tables before "… N more".</summary>
    public int MaxRows { get; init; } = 20;

    /// <summary>Values shown for sequences and tensors in plain text.</summary>
    public int MaxItems { get; init; } = 10;
}

/// <summary>Per-notebook display state.</summary>
public sealed class DisplaySession
{
    private readonly HashSet<string> _claimed = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>
    /// Returns true exactly once per <paramref name="resource"/> and session: the first output that needs a script
    /// library embeds it, later ones rely on it.
    /// </summary>
    public bool TryClaim(string resource)
    {
        lock (_gate) return _claimed.Add(resource);
    }

    /// <summary>Forgets claimed resources (a front end that clears all outputs calls it).</summary>
    public void Reset()
    {
        lock (_gate) _claimed.Clear();
    }
}
