using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ModelSecurity.Kernel.Analysis;
using ModelSecurity.Kernel.Execution;
using ModelSecurity.Kernel.Protocol;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Kernel;

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3) for the course's C#, on the notebook engine: one engine session per
/// kernel process, shell requests handled in order, control requests (interrupt, shutdown) even while a cell runs,
/// <c>status</c> busy/idle on iopub around every request.
/// </summary>
public sealed class JupyterKernel : IDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly KernelOptions _options;
    private readonly TextWriter _log;
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly Channel<JupyterMessage> _shellQueue = Channel.CreateUnbounded<JupyterMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<JupyterMessage> _controlQueue = Channel.CreateUnbounded<JupyterMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<bool> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DocumentationLookup _docs = new();
    private readonly NotebookEngine _engine;
    private readonly CellExecutor _executor;
    private KernelSockets? _sockets;

    /// <summary>Creates a kernel for the connection file's sockets; <see cref="RunAsync"/> binds them.</summary>
    public JupyterKernel(ConnectionInfo connection, KernelOptions? options = null)
    {
        _connection = connection;
        _options = options ?? new KernelOptions();
        _log = _options.Log ?? ConsoleCapture.OriginalError;
        _engine = new NotebookEngine(new EngineOptions
        {
            BaseDirectory = _options.WorkingDirectory,
            NotebookName = _options.NotebookName,
            CacheRoot = _options.CacheRoot,
            Log = EngineLog,
        });
        _executor = new CellExecutor(_engine, _session, Send, Log, _options.InterruptGrace);
    }

    /// <summary>The engine that runs the cells.</summary>
    public NotebookEngine Engine => _engine;

    /// <summary>
    /// Binds the sockets and serves until a <c>shutdown_request</c> (or <paramref name="cancellationToken"/>, or the
    /// parent process going away). Returns true when the front end asked for a restart.
    /// </summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken = default)
    {
        ConsoleCapture.EnsureInstalled();
        Console.SetIn(_executor.Stdin);
        _sockets = new KernelSockets(_connection, OnReceived, Log);
        Log($"kernel {KernelInfo.Implementation} {_options.ImplementationVersion} listening on {_connection.Ip} " +
            $"(shell {_connection.ShellPort}, iopub {_connection.IopubPort}, control {_connection.ControlPort}, " +
            $"stdin {_connection.StdinPort}, hb {_connection.HeartbeatPort}){(_sockets.Signer.Enabled ? "" : ", messages not signed (empty key)")}");
        PublishStatus("starting", null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var shell = Task.Run(() => ServeAsync(_shellQueue.Reader, KernelChannel.Shell, stop.Token), CancellationToken.None);
        var control = Task.Run(() => ServeAsync(_controlQueue.Reader, KernelChannel.Control, stop.Token), CancellationToken.None);
        var parent = WatchParentAsync(stop.Token);
        _ = Task.Run(WarmUpAsync, CancellationToken.None);

        var ended = await Task.WhenAny(_shutdown.Task, Task.Delay(Timeout.Infinite, stop.Token), parent).ConfigureAwait(false);
        bool restart = ended == _shutdown.Task && await _shutdown.Task.ConfigureAwait(false);
        if (ended != _shutdown.Task) Log(ended == parent ? "the parent process is gone: shutting down" : "stopped");
        _executor.Interrupt();
        stop.Cancel();
        _sockets.Flush(TimeSpan.FromSeconds(2));
        return restart;
    }

    /// <summary>Interrupts the running cell, as <c>interrupt_request</c> does (for SIGINT when the kernelspec says <c>interrupt_mode: signal</c>).</summary>
    public void Interrupt() => _executor.Interrupt();

    /// <summary>Closes the sockets.</summary>
    public void Dispose() => _sockets?.Dispose();

    private void OnReceived(KernelChannel channel, JupyterMessage message)
    {
        switch (channel)
        {
            case KernelChannel.Shell:
                _shellQueue.Writer.TryWrite(message);
                break;
            case KernelChannel.Control:
                _controlQueue.Writer.TryWrite(message);
                break;
            case KernelChannel.Stdin when message.MsgType == "input_reply":
                if (!_executor.Stdin.Deliver(message)) Log("input_reply ignored: no input request is waiting for it");
                break;
            default:
                Log($"ignored {message.MsgType} on {channel}");
                break;
        }
    }

    private async Task ServeAsync(ChannelReader<JupyterMessage> queue, KernelChannel channel, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var request in queue.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                bool stopOnError = await HandleAsync(channel, request).ConfigureAwait(false);
                if (!stopOnError) continue;
                // stop_on_error: execute requests that were already queued are aborted, other requests still answered.
                while (queue.TryRead(out var queued))
                {
                    if (queued.MsgType == "execute_request")
                    {
                        PublishStatus("busy", queued);
                        Reply(channel, queued, "execute_reply", _executor.Aborted());
                        PublishStatus("idle", queued);
                    }
                    else await HandleAsync(channel, queued).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Handles one request; true when it was an execution that failed with <c>stop_on_error</c>.</summary>
    private async Task<bool> HandleAsync(KernelChannel channel, JupyterMessage request)
    {
        PublishStatus("busy", request);
        bool abortQueued = false;
        try
        {
            switch (request.MsgType)
            {
                case "execute_request" when channel == KernelChannel.Shell:
                    var reply = await _executor.ExecuteAsync(request).ConfigureAwait(false);
                    Reply(channel, request, "execute_reply", reply);
                    abortQueued = (string?)reply["status"] == "error"
                                  && !(request.Content["stop_on_error"] is JsonValue v && v.TryGetValue(out bool stop) && !stop);
                    break;
                case "kernel_info_request":
                    Reply(channel, request, "kernel_info_reply", KernelInfo.Reply(_options.ImplementationVersion));
                    break;
                case "complete_request":
                    Reply(channel, request, "complete_reply", await CompleteAsync(request.Content).ConfigureAwait(false));
                    break;
                case "inspect_request":
                    Reply(channel, request, "inspect_reply", await InspectAsync(request.Content).ConfigureAwait(false));
                    break;
                case "is_complete_request":
                    var (status, indent) = CompletenessChecker.Check((string?)request.Content["code"] ?? "");
                    var isComplete = new JsonObject { ["status"] = status };
                    if (indent is not null) isComplete["indent"] = indent;
                    Reply(channel, request, "is_complete_reply", isComplete);
                    break;
                case "comm_info_request":
                    Reply(channel, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                    break;
                case "history_request":
                    Reply(channel, request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() });
                    break;
                case "interrupt_request":
                    _executor.Interrupt();
                    Reply(channel, request, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                    break;
                case "shutdown_request":
                    bool restart = request.Content["restart"] is JsonValue r && r.TryGetValue(out bool yes) && yes;
                    Reply(channel, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
                    PublishStatus("idle", request);
                    Log(restart ? "shutdown requested (restart)" : "shutdown requested");
                    _shutdown.TrySetResult(restart);
                    return false;
                case "comm_open" or "comm_msg" or "comm_close":
                    Log($"{request.MsgType} ignored: this kernel has no comm targets");
                    break;
                default:
                    Log($"unknown message type '{request.MsgType}' on {channel}: ignored");
                    break;
            }
        }
        catch (Exception e)
        {
            Log($"error handling {request.MsgType}: {e}");
            if (request.MsgType.EndsWith("_request", StringComparison.Ordinal))
                Reply(channel, request, request.MsgType.Replace("_request", "_reply", StringComparison.Ordinal), new JsonObject
                {
                    ["status"] = "error",
                    ["ename"] = e.GetType().FullName,
                    ["evalue"] = e.Message,
                    ["traceback"] = new JsonArray(),
                });
        }
        PublishStatus("idle", request);
        return abortQueued;
    }

    private async Task<JsonObject> CompleteAsync(JsonObject content)
    {
        string code = (string?)content["code"] ?? "";
        int cursor = CursorOffsets.ToUtf16(code, content["cursor_pos"] is JsonValue c && c.TryGetValue(out int pos) ? pos : code.Length);
        var document = await AnalysisDocument.CreateAsync(_engine, code, CancellationToken.None).ConfigureAwait(false);
        var result = CompletionProvider.Complete(document, cursor);
        int start = CursorOffsets.ToCodePoints(code, result.Start), end = CursorOffsets.ToCodePoints(code, result.End);
        var types = new JsonArray(result.Items.Select(i => (JsonNode?)new JsonObject
        {
            ["start"] = start,
            ["end"] = end,
            ["text"] = i.Text,
            ["type"] = i.Type,
            ["signature"] = i.Signature,
        }).ToArray());
        return new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = new JsonArray(result.Items.Select(i => (JsonNode?)JsonValue.Create(i.Text)).ToArray()),
            ["cursor_start"] = start,
            ["cursor_end"] = end,
            ["metadata"] = new JsonObject { ["_jupyter_types_experimental"] = types },
        };
    }

    private async Task<JsonObject> InspectAsync(JsonObject content)
    {
        string code = (string?)content["code"] ?? "";
        int cursor = CursorOffsets.ToUtf16(code, content["cursor_pos"] is JsonValue c && c.TryGetValue(out int pos) ? pos : code.Length);
        bool detailed = content["detail_level"] is JsonValue d && d.TryGetValue(out int level) && level > 0;
        var document = await AnalysisDocument.CreateAsync(_engine, code, CancellationToken.None).ConfigureAwait(false);
        var symbols = InspectionProvider.SymbolsAt(document, cursor);
        var reply = new JsonObject { ["status"] = "ok", ["found"] = symbols.Count > 0, ["data"] = new JsonObject(), ["metadata"] = new JsonObject() };
        if (symbols.Count == 0) return reply;
        // A variable of an earlier cell (a field of an earlier submission, not of the cell being edited) shows its value.
        string? value = symbols is [Microsoft.CodeAnalysis.IFieldSymbol { ContainingType.IsScriptClass: true } variable]
                        && !Microsoft.CodeAnalysis.SymbolEqualityComparer.Default.Equals(variable.ContainingAssembly, document.Model.Compilation.Assembly)
            ? await ValueOfAsync(variable.Name).ConfigureAwait(false)
            : null;
        reply["data"] = new JsonObject
        {
            ["text/plain"] = InspectionProvider.Describe(symbols, document.Model.Compilation, _docs, detailed, value),
        };
        return reply;
    }

    /// <summary>The current value of a variable of an earlier cell, as plain text (reading a field runs no user code).</summary>
    private async Task<string?> ValueOfAsync(string name)
    {
        try
        {
            object? value = await _engine.EvaluateAsync<object?>(name).ConfigureAwait(false);
            var bundle = _engine.Formatters.Format(value, new DisplayContext(_engine.Formatters, _engine.DisplaySession), ["text/plain"]);
            string text = bundle.Data.TryGetValue("text/plain", out string? plain) ? plain : FormatterRegistry.PlainText(value);
            return text.Length > 500 ? text[..500] + "…" : text;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    private void Reply(KernelChannel channel, JupyterMessage request, string type, JsonObject content) =>
        Send(channel, JupyterMessage.Create(_session, type, content, request));

    private void PublishStatus(string state, JupyterMessage? parent) =>
        Send(KernelChannel.IoPub, JupyterMessage.Create(_session, "status", new JsonObject { ["execution_state"] = state }, parent, [CellExecutor.Topic("status")]));

    private void Send(KernelChannel channel, JupyterMessage message) => _sockets?.Send(channel, message);

    private void Log(string message)
    {
        lock (_log)
        {
            _log.WriteLine($"[kernel {DateTime.Now:HH:mm:ss}] {message}");
            _log.Flush();
        }
    }

    /// <summary>Engine messages (NuGet restores): into the running cell's stderr, else the kernel log.</summary>
    private void EngineLog(string message)
    {
        // Restore progress is chatter, not a result: it goes to the kernel's log, never into the notebook as stderr.
        if (_executor.Active is { } active && !Notebooks.Execution.NuGetRestorer.IsProgress(message))
            active.Sink.Add(new Notebooks.Format.StreamOutput("stderr", message + "\n"));
        else Log(message);
    }

    /// <summary>Pays Roslyn's start-up (about a second) before the first cell arrives.</summary>
    private async Task WarmUpAsync()
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var document = await AnalysisDocument.CreateAsync(_engine, "System.Console.Out", CancellationToken.None).ConfigureAwait(false);
            _ = document.Model.GetDiagnostics();
            Log($"warm-up done in {clock.Elapsed.TotalSeconds:0.00} s");
        }
        catch (Exception e)
        {
            Log($"warm-up failed: {e.Message}");
        }
    }

    private async Task WatchParentAsync(CancellationToken cancellationToken)
    {
        if (_options.ParentProcessId is not { } pid)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            try
            {
                using var process = Process.GetProcessById(pid);
                if (process.HasExited) return;
            }
            catch (ArgumentException)
            {
                return;
            }
        }
    }
}
