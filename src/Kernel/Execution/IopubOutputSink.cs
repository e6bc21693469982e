using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Kernel.Execution;

/// <summary>
/// Forwards a cell's outputs to iopub as they happen: <c>stream</c>, <c>display_data</c> (with a transient
/// <c>display_id</c>), <c>update_display_data</c>, <c>execute_result</c> and <c>error</c>. Stream text is coalesced for
/// up to <see cref="StreamDelay"/> (a loop printing 10 000 lines sends a few messages, not 10 000), and flushed before
/// any other output so the order stays the engine's. A silent execution publishes nothing.
/// </summary>
internal sealed class IopubOutputSink : ICellOutputSink, IDisposable
{
    /// <summary>How long stream text may wait to be merged with more text.</summary>
    public static readonly TimeSpan StreamDelay = TimeSpan.FromMilliseconds(50);

    private const int MaxPendingChars = 64 * 1024;

    private readonly Action<string, JsonObject> _publish;
    private readonly bool _silent;
    private readonly int _executionCount;
    private readonly StringBuilder _pending = new();
    private readonly Timer _timer;
    private readonly object _gate = new();
    private string? _pendingName;
    private bool _timerArmed;
    private bool _closed;

    /// <param name="publish">Publishes one iopub message (type, content) as a child of the execute request.</param>
    /// <param name="silent">True for <c>silent</c> executions: nothing is published.</param>
    /// <param name="executionCount">The count shown with the cell's result.</param>
    public IopubOutputSink(Action<string, JsonObject> publish, bool silent, int executionCount)
    {
        _publish = publish;
        _silent = silent;
        _executionCount = executionCount;
        _timer = new Timer(_ => Flush());
    }

    public void Add(CellOutput output)
    {
        lock (_gate)
        {
            if (_closed || _silent) return;
            if (output is StreamOutput stream)
            {
                if (_pendingName is not null && _pendingName != stream.Name) FlushNoLock();
                _pendingName = stream.Name;
                _pending.Append(stream.Text);
                if (_pending.Length >= MaxPendingChars) FlushNoLock();
                else if (!_timerArmed)
                {
                    _timerArmed = true;
                    _timer.Change(StreamDelay, Timeout.InfiniteTimeSpan);
                }
                return;
            }
            FlushNoLock();
            switch (output)
            {
                case DisplayOutput { IsResult: true } result:
                    var content = Bundle(result);
                    content["execution_count"] = _executionCount;
                    _publish("execute_result", content);
                    break;
                case DisplayOutput display:
                    _publish("display_data", WithDisplayId(Bundle(display), display.DisplayId));
                    break;
                case ErrorOutput error:
                    _publish("error", ErrorContent(error));
                    break;
            }
        }
    }

    public void Update(string displayId, DisplayOutput output)
    {
        lock (_gate)
        {
            if (_closed || _silent) return;
            FlushNoLock();
            _publish("update_display_data", WithDisplayId(Bundle(output), displayId));
        }
    }

    /// <summary>Publishes pending stream text now.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (!_closed) FlushNoLock();
        }
    }

    /// <summary>Publishes pending text; later outputs (e.g. from a task the cell left running) are dropped.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed) return;
            FlushNoLock();
            _closed = true;
        }
        _timer.Dispose();
    }

    /// <summary>Content of an <c>error</c> message (and of an error <c>execute_reply</c>).</summary>
    public static JsonObject ErrorContent(ErrorOutput error) => new()
    {
        ["ename"] = error.EName,
        ["evalue"] = error.EValue,
        ["traceback"] = new JsonArray(error.Traceback.Select(line => (JsonNode?)JsonValue.Create(line)).ToArray()),
    };

    /// <summary>The <c>data</c>/<c>metadata</c> of a MIME bundle; JSON MIME types are sent as JSON.</summary>
    public static JsonObject Bundle(DisplayOutput output)
    {
        var data = new JsonObject();
        foreach (var (mime, text) in output.Value.Data)
            data[mime] = IsJsonMime(mime) && TryParse(text) is { } json ? json : JsonValue.Create(text);
        var metadata = new JsonObject();
        if (output.Value.Metadata is not null)
            foreach (var (key, node) in output.Value.Metadata)
                metadata[key] = node?.DeepClone();
        return new JsonObject { ["data"] = data, ["metadata"] = metadata };
    }

    private static JsonObject WithDisplayId(JsonObject content, string? displayId)
    {
        if (displayId is not null) content["transient"] = new JsonObject { ["display_id"] = displayId };
        return content;
    }

    private void FlushNoLock()
    {
        if (_timerArmed)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            _timerArmed = false;
        }
        if (_pendingName is null || _pending.Length == 0) return;
        _publish("stream", new JsonObject { ["name"] = _pendingName, ["text"] = _pending.ToString() });
        _pending.Clear();
        _pendingName = null;
    }

    private static bool IsJsonMime(string mime) => mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal);

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
