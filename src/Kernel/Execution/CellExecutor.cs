using System.Text.Json.Nodes;
using ModelSecurity.Kernel.Protocol;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Kernel.Execution;

/// <summary>
/// Runs <c>execute_request</c>s on the notebook engine: execution counts (<c>store_history</c>, <c>silent</c>),
/// <c>execute_input</c>, outputs to iopub, <c>user_expressions</c>, the reply, interruption and console input.
/// One execution at a time (the shell channel is handled in order).
/// </summary>
internal sealed class CellExecutor
{
    private readonly NotebookEngine _engine;
    private readonly string _session;
    private readonly Action<KernelChannel, JupyterMessage> _send;
    private readonly Action<string> _log;
    private readonly TimeSpan _interruptGrace;
    private readonly object _gate = new();
    private ActiveExecution? _active;
    private int _executionCount;
    private bool _toldToRestart;

    public CellExecutor(NotebookEngine engine, string session, Action<KernelChannel, JupyterMessage> send, Action<string> log, TimeSpan interruptGrace)
    {
        _engine = engine;
        _session = session;
        _send = send;
        _log = log;
        _interruptGrace = interruptGrace;
        Stdin = new KernelStdin(() => Active, SendInputRequest);
    }

    /// <summary>The reader installed as <see cref="Console.In"/>.</summary>
    public KernelStdin Stdin { get; }

    /// <summary>The running execution, or null.</summary>
    public ActiveExecution? Active
    {
        get { lock (_gate) return _active; }
    }

    /// <summary>The execution count of the last stored cell.</summary>
    public int ExecutionCount => Volatile.Read(ref _executionCount);

    /// <summary>Requests the running cell to stop (its cancellation token and <c>Interruption.Token</c>); nothing when idle.</summary>
    public bool Interrupt()
    {
        var active = Active;
        if (active is null) return false;
        _log($"interrupt requested for {active.Request.MsgId}");
        try
        {
            active.Interrupt.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false; // the cell ended meanwhile
        }
        return true;
    }

    /// <summary>Runs one execute request; returns the reply content (status ok, error or aborted).</summary>
    public async Task<JsonObject> ExecuteAsync(JupyterMessage request)
    {
        var content = request.Content;
        string code = (string?)content["code"] ?? "";
        bool silent = Bool(content, "silent", false);
        bool storeHistory = !silent && Bool(content, "store_history", true);
        bool allowStdin = Bool(content, "allow_stdin", true);
        void Publish(string type, JsonObject body) => _send(KernelChannel.IoPub, JupyterMessage.Create(_session, type, body, request, [Topic(type)]));

        if (string.IsNullOrWhiteSpace(code))
            return Ok(ExecutionCount, new JsonObject()); // as IPython: nothing runs, the count stays

        int count = storeHistory ? Interlocked.Increment(ref _executionCount) : ExecutionCount;
        int cellNumber = storeHistory ? count : count + 1;
        if (!silent) Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });

        using var sink = new IopubOutputSink(Publish, silent, count);
        using var interrupt = new CancellationTokenSource();
        lock (_gate) _active = new ActiveExecution(request, allowStdin, interrupt, sink);
        CellResult result;
        try
        {
            result = await _engine.ExecuteAsync(code, sink, new CellRunOptions { CellNumber = cellNumber, InterruptGrace = _interruptGrace }, interrupt.Token)
                .ConfigureAwait(false);
        }
        finally
        {
            lock (_gate) _active = null;
        }
        if (_engine.PoisonedBecause is not null && !silent)
        {
            sink.Add(new StreamOutput("stderr", _toldToRestart
                ? "This kernel cannot run cells any more: restart it (Kernel > Restart).\n"
                : "The interrupted cell did not stop and is still running in the background; this kernel cannot run cells any more. " +
                  "Restart it (Kernel > Restart). Loops stop on interrupt when they call ModelSecurity.Runtime.Interruption.ThrowIfRequested().\n"));
            _toldToRestart = true;
        }
        sink.Dispose();

        if (result.Status == CellStatus.Succeeded)
            return Ok(count, await UserExpressionsAsync(content["user_expressions"] as JsonObject).ConfigureAwait(false));
        var error = result.Error ?? new ErrorOutput(result.Status.ToString(), $"The cell ended with status {result.Status}.", []);
        var reply = IopubOutputSink.ErrorContent(error);
        reply["status"] = "error";
        reply["execution_count"] = count;
        return reply;
    }

    /// <summary>Reply content for an execute request aborted after an earlier error (<c>stop_on_error</c>).</summary>
    public JsonObject Aborted() => new() { ["status"] = "aborted", ["execution_count"] = ExecutionCount };

    /// <summary>The iopub topic of a message type, as ipykernel names them.</summary>
    public static byte[] Topic(string msgType) => System.Text.Encoding.UTF8.GetBytes($"kernel.{msgType}");

    private static JsonObject Ok(int count, JsonObject userExpressions) => new()
    {
        ["status"] = "ok",
        ["execution_count"] = count,
        ["payload"] = new JsonArray(),
        ["user_expressions"] = userExpressions,
    };

    private async Task<JsonObject> UserExpressionsAsync(JsonObject? expressions)
    {
        var results = new JsonObject();
        if (expressions is null) return results;
        foreach (var (name, node) in expressions)
        {
            string expression = (string?)node ?? "";
            try
            {
                object? value = await _engine.EvaluateAsync<object?>(expression).ConfigureAwait(false);
                var bundle = _engine.Formatters.Format(value, new DisplayContext(_engine.Formatters, _engine.DisplaySession));
                var content = IopubOutputSink.Bundle(new DisplayOutput(bundle));
                content["status"] = "ok";
                results[name] = content;
            }
            catch (Exception e)
            {
                results[name] = new JsonObject
                {
                    ["status"] = "error",
                    ["ename"] = e.GetType().FullName,
                    ["evalue"] = e.Message,
                    ["traceback"] = new JsonArray(),
                };
            }
        }
        return results;
    }

    private string SendInputRequest(JupyterMessage request, string prompt)
    {
        var message = JupyterMessage.Create(_session, "input_request", new JsonObject { ["prompt"] = prompt, ["password"] = false }, request);
        _send(KernelChannel.Stdin, message);
        return message.MsgId;
    }

    private static bool Bool(JsonObject content, string name, bool fallback) =>
        content[name] is JsonValue value && value.TryGetValue(out bool b) ? b : fallback;
}
