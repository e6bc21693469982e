using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>The formatters a notebook engine uses, most recently added first.</summary>
public sealed class FormatterRegistry
{
    private readonly List<IDisplayFormatter> _formatters = [];
    private readonly object _gate = new();

    /// <summary>A registry with the engine's built-in formatters (plain text, tables, tensors, charts, PNG images and pictures).</summary>
    public static FormatterRegistry CreateDefault()
    {
        var registry = new FormatterRegistry();
        registry.Add(new EnumerableTableFormatter());
        registry.Add(new TensorFormatter());
        registry.Add(new PlotlyChartFormatter());
        registry.Add(new PngImageFormatter());
        registry.Add(new HtmlDisplayFormatter());
        registry.Add(new FigureFormatter());
        registry.Add(new PngDisplayFormatter());
        return registry;
    }

    /// <summary>Adds a formatter; it takes precedence over those added before.</summary>
    public void Add(IDisplayFormatter formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        lock (_gate) _formatters.Insert(0, formatter);
    }

    /// <summary>The registered formatters, highest precedence first.</summary>
    public IReadOnlyList<IDisplayFormatter> Formatters
    {
        get { lock (_gate) return _formatters.ToList(); }
    }

    /// <summary>
    /// Formats a value. With <paramref name="mimeTypes"/>, the bundle is restricted to those types; a string displayed
    /// as, say, <c>text/html</c> is taken as content of that type.
    /// </summary>
    public FormattedValue Format(object? value, DisplayContext context, IReadOnlyList<string>? mimeTypes = null)
    {
        bool restricted = mimeTypes is { Count: > 0 };
        if (restricted && value is string raw)
        {
            var given = mimeTypes!.Distinct().ToDictionary(m => m, _ => raw);
            // HTML shown as a string (a notebook's own table helper) still gets a readable text/plain: Jupyter's
            // text-only front ends and screen readers would otherwise get nothing.
            if (given.ContainsKey("text/html") && !given.ContainsKey("text/plain")) given["text/plain"] = TextTable.FromHtml(raw);
            return new FormattedValue(given);
        }

        FormattedValue bundle = value is null ? FormattedValue.PlainText("<null>") : FormatObject(value, context);
        if (!restricted) return bundle;

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string mime in mimeTypes!)
        {
            if (bundle.Data.TryGetValue(mime, out string? content)) data[mime] = content;
            else if (mime == "text/html" && bundle.Data.TryGetValue("text/plain", out string? text))
                data[mime] = "<pre>" + WebUtility.HtmlEncode(text) + "</pre>";
            else if (mime == "text/plain") data[mime] = PlainText(value);
        }
        return new FormattedValue(data.Count > 0 ? data : bundle.Data, bundle.Metadata);
    }

    /// <summary>Items a nested sequence shows before "…".</summary>
    private const int NestedItems = 5;

    /// <summary>How deep anonymous objects, tuples and sequences inside each other are written out before "…".</summary>
    private const int NestedDepth = 3;

    /// <summary>
    /// A short plain-text form of any value, used for nested values such as table cells. Anonymous objects, tuples and
    /// sequences are written member by member, because their own ToString names compiler types for what they hold
    /// (<c>{ Rates = System.Linq.Enumerable+ArraySelectIterator`2[…] }</c>); a sequence shows its first items.
    /// </summary>
    public static string PlainText(object? value) => PlainText(value, NestedDepth);

    private static string PlainText(object? value, int depth) => value switch
    {
        null => "<null>",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ when IsAnonymous(value.GetType()) => depth == 0 ? "{ … }" : "{ " + string.Join(", ", value.GetType()
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.Name + " = " + PlainText(Read(p, value), depth - 1))) + " }",
        ITuple tuple => depth == 0 ? "(…)" : "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => PlainText(tuple[i], depth - 1))) + ")",
        IEnumerable sequence when !OverridesToString(value.GetType()) => depth == 0 ? "[…]" : Items(sequence, depth - 1),
        _ => value.ToString() ?? value.GetType().Name,
    };

    private static string Items(IEnumerable sequence, int depth)
    {
        var first = new List<string>();
        bool more = false;
        foreach (object? item in sequence)
        {
            if (first.Count == NestedItems) { more = true; break; }
            first.Add(PlainText(item, depth));
        }
        return "[" + string.Join(", ", first) + (more ? ", …" : "") + "]";
    }

    /// <summary>True for the compiler's anonymous types (<c>new { A = 1 }</c>).</summary>
    internal static bool IsAnonymous(Type type) =>
        type.Name.Contains("AnonymousType", StringComparison.Ordinal) && type.Name.StartsWith("<>", StringComparison.Ordinal)
        && type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);

    // Sequences with a ToString of their own (e.g. tensors) keep it; List<T> and LINQ iterators only have object's type name.
    private static bool OverridesToString(Type type) =>
        type.GetMethod(nameof(ToString), Type.EmptyTypes)?.DeclaringType is { } declaring && declaring != typeof(object);

    private static object? Read(PropertyInfo property, object item)
    {
        try
        {
            return property.GetValue(item);
        }
        catch (TargetInvocationException e)
        {
            return $"<{e.InnerException?.GetType().Name ?? e.GetType().Name}>";
        }
    }

    private FormattedValue FormatObject(object value, DisplayContext context)
    {
        foreach (var formatter in Formatters)
        {
            if (formatter.CanFormat(value))
                return formatter.Format(value, context);
        }
        return FormattedValue.PlainText(PlainText(value));
    }
}
