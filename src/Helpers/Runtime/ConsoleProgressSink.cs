namespace ModelSecurity.Runtime;

/// <summary>
/// Shows progress on the console (standard error, so results on standard output stay clean): on a terminal one line
/// rewritten in place with carriage returns, the final state kept (a result line printed meanwhile overwrites the live
/// line; a shorter one leaves the live line's tail until the next update); when redirected (a log file, CI) plain lines, at
/// most one per <see cref="RedirectedInterval"/> per operation, and the final state.
/// </summary>
/// <remarks>
/// Written by hand rather than with Spectre.Console's progress display: Spectre's live display must own the console for
/// the whole callback it runs (<c>AnsiConsole.Progress().Start(ctx =&gt; …)</c>) and other console writes during it corrupt
/// the display, while here tasks are opened deep inside library calls that also print result lines, and the library
/// would gain a dependency for one line of text. Only <c>\r</c> and spaces are written (no ANSI escapes), which every
/// terminal understands.
/// </remarks>
public sealed class ConsoleProgressSink : IProgressSink
{
    private readonly TextWriter? _writer;
    private readonly bool? _interactive;
    private readonly object _gate = new();
    private readonly Dictionary<long, DateTimeOffset> _lastLine = [];
    private int _lineLength;

    /// <param name="writer">Where to write (default: <see cref="Console.Error"/> at the time of each report).</param>
    /// <param name="interactive">True to rewrite one line in place; default: when standard error is a terminal.</param>
    /// <param name="redirectedInterval">Least time between two plain lines of one operation when not interactive (default 10 s).</param>
    public ConsoleProgressSink(TextWriter? writer = null, bool? interactive = null, TimeSpan? redirectedInterval = null)
    {
        _writer = writer;
        _interactive = interactive;
        RedirectedInterval = redirectedInterval ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>Least time between two plain lines of one operation when the output is not a terminal.</summary>
    public TimeSpan RedirectedInterval { get; }

    /// <inheritdoc />
    public void Report(ProgressReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var writer = _writer ?? Console.Error;
        bool interactive = _interactive ?? !Console.IsErrorRedirected;
        lock (_gate)
        {
            if (interactive)
            {
                // Pad with spaces over the previous, longer line instead of an ANSI erase, and leave the cursor at the
                // start of the line: a result line printed meanwhile (standard output, same terminal) then overwrites the
                // progress line instead of being glued to its end.
                writer.Write("\r" + report.Text.PadRight(_lineLength) + (report.IsFinal ? Environment.NewLine : "\r"));
                _lineLength = report.IsFinal ? 0 : report.Text.Length;
                writer.Flush();
                return;
            }
            var now = DateTimeOffset.UtcNow;
            if (report.IsFinal) _lastLine.Remove(report.OperationId);
            else if (_lastLine.TryGetValue(report.OperationId, out var last) && now - last < RedirectedInterval) return;
            else _lastLine[report.OperationId] = now;
            writer.WriteLine(report.Text);
            writer.Flush();
        }
    }
}
