using System.Text.Json.Nodes;
using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Kernel.Execution;

/// <summary>
/// <see cref="Console.In"/> of the kernel process: <c>Console.ReadLine()</c> in a cell sends an <c>input_request</c>
/// on the stdin socket to the front end that sent the execute request and waits for its <c>input_reply</c>.
/// When the request has <c>allow_stdin: false</c> (e.g. a notebook run headless by nbclient) reading fails with a
/// clear message; outside a running cell it reads end of input.
/// </summary>
internal sealed class KernelStdin(Func<ActiveExecution?> active, Func<JupyterMessage, string, string> sendInputRequest) : TextReader
{
    private readonly object _gate = new();
    private TaskCompletionSource<string>? _pending;
    private string? _pendingRequestId;
    private string _buffer = "";

    /// <summary>An <c>input_reply</c> arrived; it answers the pending request unless its parent header names another request.</summary>
    /// <returns>False when no request was waiting for it (e.g. the cell was interrupted meanwhile).</returns>
    public bool Deliver(JupyterMessage reply)
    {
        string value = (string?)reply.Content["value"] ?? "";
        lock (_gate)
        {
            // jupyter_client's KernelClient.input() sends no parent header; when there is one it must be the pending request.
            string? parent = (string?)reply.ParentHeader["msg_id"];
            if (_pending is null || (!string.IsNullOrEmpty(parent) && parent != _pendingRequestId)) return false;
            _pending.TrySetResult(value);
            _pending = null;
            _pendingRequestId = null;
            return true;
        }
    }

    public override string? ReadLine()
    {
        lock (_gate)
        {
            if (_buffer.Length > 0)
            {
                int newline = _buffer.IndexOf('\n');
                string line = newline >= 0 ? _buffer[..newline] : _buffer;
                _buffer = newline >= 0 ? _buffer[(newline + 1)..] : "";
                return line;
            }
        }
        return Ask();
    }

    public override int Read()
    {
        int c = Peek();
        if (c >= 0) lock (_gate) _buffer = _buffer[1..];
        return c;
    }

    public override int Peek()
    {
        lock (_gate)
            if (_buffer.Length > 0) return _buffer[0];
        string? line = Ask();
        if (line is null) return -1;
        lock (_gate)
        {
            _buffer += line + "\n";
            return _buffer[0];
        }
    }

    private string? Ask()
    {
        var execution = active();
        if (execution is null) return null;
        if (!execution.AllowStdin)
            throw new InvalidOperationException(
                "Console.ReadLine: this front end does not accept input for this cell (its execute_request has allow_stdin = false, " +
                "as when a notebook runs headless). Set the value in code instead.");
        Console.Out.Flush(); // a prompt written with Console.Write shows before the input box
        Console.Error.Flush();
        execution.Sink.Flush();
        var pending = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _pending?.TrySetCanceled();
            _pending = pending;
            _pendingRequestId = sendInputRequest(execution.Request, "");
        }
        try
        {
            pending.Task.Wait(execution.Interrupt.Token);
        }
        catch (OperationCanceledException)
        {
            throw new OperationCanceledException("Interrupted while waiting for input.", execution.Interrupt.Token);
        }
        return pending.Task.Result;
    }
}
