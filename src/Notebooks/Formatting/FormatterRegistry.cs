using System.Globalization;
using System.Net;
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

    /// <summary>A short plain-text form of any value, used for nested values such as table cells.</summary>
    public static string PlainText(object? value) => value switch
    {
        null => "<null>",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? value.GetType().Name,
    };

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
