using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Scripting;

/// <summary>
/// Members every notebook cell can use without a <c>using</c>: <c>display(x)</c> as in .NET Interactive.
/// </summary>
public class NotebookGlobals
{
    /// <summary>
    /// Shows a value below the cell, formatted by the engine's formatters (tables, tensors, charts, images, text).
    /// With MIME types, only those are produced; a string displayed as e.g. <c>"text/html"</c> is taken as HTML.
    /// </summary>
    /// <param name="value">The value to show.</param>
    /// <param name="mimeTypes">Optional MIME types, e.g. <c>"text/html"</c>.</param>
    /// <returns>A handle to replace the shown value later with <see cref="DisplayedValue.Update"/>.</returns>
#pragma warning disable IDE1006 // lower-case name kept for compatibility with .NET Interactive notebooks
    public DisplayedValue display(object? value, params string[] mimeTypes) => Displayer.Show(value, mimeTypes);
#pragma warning restore IDE1006

    /// <summary>
    /// An exercise of the course by id (the <c>course.exercise</c> metadata of its cell, e.g. <c>"01-fgsm/my-fgsm"</c>):
    /// <c>Exercise("01-fgsm/my-fgsm").Check()</c> checks your answer, <c>.Hint()</c> shows the next hint, <c>.Solution()</c>
    /// the reference solution.
    /// </summary>
    /// <param name="id">The exercise id, <c>chapter/name</c>.</param>
    public ExerciseCell Exercise(string id) => new(this, (id ?? "").Trim());

    /// <summary>The engine running the cells (null for globals made outside an engine).</summary>
    internal NotebookEngine? Engine { get; init; }

    /// <summary>How many hints of each exercise were shown, so <c>.Hint()</c> moves on to the next one.</summary>
    internal Dictionary<string, int> HintsShown { get; } = new(StringComparer.Ordinal);
}

/// <summary>Extension methods imported into every notebook.</summary>
public static class DisplayExtensions
{
    /// <summary>Shows the value below the cell (same as <c>display(value)</c>).</summary>
    /// <param name="value">The value to show.</param>
    /// <param name="mimeTypes">Optional MIME types to produce.</param>
    public static DisplayedValue Display(this object? value, params string[] mimeTypes) => Displayer.Show(value, mimeTypes);

    /// <summary>Shows a string as content of the given MIME type, e.g. <c>"&lt;b&gt;hi&lt;/b&gt;".DisplayAs("text/html")</c>.</summary>
    public static DisplayedValue DisplayAs(this string value, string mimeType) => Displayer.Show(value, [mimeType]);
}

/// <summary>A displayed output that can be replaced, e.g. to show progress.</summary>
public sealed class DisplayedValue
{
    private readonly CellContext? _context;
    private readonly string[] _mimeTypes;

    internal DisplayedValue(CellContext? context, string displayId, string[] mimeTypes)
    {
        _context = context;
        DisplayId = displayId;
        _mimeTypes = mimeTypes;
    }

    /// <summary>Identifies the output within the notebook.</summary>
    public string DisplayId { get; }

    /// <summary>Replaces the shown value.</summary>
    public void Update(object? value)
    {
        if (_context is null) return;
        var bundle = _context.Formatters.Format(value, _context.DisplayContext, _mimeTypes);
        _context.Update(DisplayId, new DisplayOutput(bundle, DisplayId: DisplayId));
    }
}

internal static class Displayer
{
    public static DisplayedValue Show(object? value, string[]? mimeTypes)
    {
        mimeTypes ??= [];
        var context = CellContext.Current;
        string id = Guid.NewGuid().ToString("N");
        if (context is null)
        {
            // Outside a running cell (e.g. from a background thread after the cell ended): plain text to the console.
            Console.WriteLine(FormatterRegistryText(value));
            return new DisplayedValue(null, id, mimeTypes);
        }
        var bundle = context.Formatters.Format(value, context.DisplayContext, mimeTypes);
        context.Add(new DisplayOutput(bundle, DisplayId: id));
        return new DisplayedValue(context, id, mimeTypes);
    }

    private static string FormatterRegistryText(object? value) => Formatting.FormatterRegistry.PlainText(value);
}
