using System.Text;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// Where the code of the running cell sends its outputs. Flows with the execution context (AsyncLocal), so tasks a
/// cell starts write to the same cell, and several engines in one process do not mix their outputs.
/// </summary>
internal sealed class CellContext
{
    private static readonly AsyncLocal<CellContext?> CurrentContext = new();

    private readonly ICellOutputSink _sink;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();
    private bool _closed;

    public CellContext(ICellOutputSink sink, FormatterRegistry formatters, DisplaySession session, int executionCount)
    {
        _sink = sink;
        Formatters = formatters;
        Session = session;
        ExecutionCount = executionCount;
    }

    public static CellContext? Current
    {
        get => CurrentContext.Value;
        set => CurrentContext.Value = value;
    }

    public FormatterRegistry Formatters { get; }
    public DisplaySession Session { get; }
    public int ExecutionCount { get; }

    public DisplayContext DisplayContext => new(Formatters, Session);

    /// <summary>True once the engine gave up on the cell (timeout, interruption): later writes are dropped.</summary>
    public bool IsClosed
    {
        get { lock (_gate) return _closed; }
    }

    public void Write(string stream, string text)
    {
        lock (_gate)
        {
            if (_closed) return;
            var buffer = stream == "stderr" ? _stderr : _stdout;
            buffer.Append(text);
            int lastNewline = LastIndexOf(buffer, '\n');
            if (lastNewline < 0) return;
            string complete = buffer.ToString(0, lastNewline + 1);
            buffer.Remove(0, lastNewline + 1);
            _sink.Add(new StreamOutput(stream, complete));
        }
    }

    public void Add(CellOutput output)
    {
        lock (_gate)
        {
            if (_closed) return;
            FlushNoLock();
            _sink.Add(output);
        }
    }

    public void Update(string displayId, DisplayOutput output)
    {
        lock (_gate)
        {
            if (_closed) return;
            _sink.Update(displayId, output);
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (!_closed) FlushNoLock();
        }
    }

    /// <summary>Flushes pending text and drops everything written later.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closed) return;
            FlushNoLock();
            _closed = true;
        }
    }

    private void FlushNoLock()
    {
        if (_stdout.Length > 0) { _sink.Add(new StreamOutput("stdout", _stdout.ToString())); _stdout.Clear(); }
        if (_stderr.Length > 0) { _sink.Add(new StreamOutput("stderr", _stderr.ToString())); _stderr.Clear(); }
    }

    private static int LastIndexOf(StringBuilder builder, char c)
    {
        for (int i = builder.Length - 1; i >= 0; i--)
            if (builder[i] == c) return i;
        return -1;
    }
}
