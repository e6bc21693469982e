using NetMQ;
using NetMQ.Sockets;

namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// The five sockets of a kernel bound to the connection file's ports. One poller thread owns the shell, control,
/// stdin and iopub sockets (NetMQ sockets are not thread-safe): it decodes and verifies incoming messages and sends
/// what other threads queued with <see cref="Send"/>, in order. The heartbeat echoes on its own thread.
/// </summary>
public sealed class KernelSockets : IDisposable
{
    private readonly WireCodec _codec;
    private readonly Action<KernelChannel, JupyterMessage> _received;
    private readonly Action<string> _log;
    private readonly MessageGate _gate;
    private readonly RouterSocket _shell = new();
    private readonly RouterSocket _control = new();
    private readonly RouterSocket _stdin = new();
    private readonly PublisherSocket _iopub = new();
    private readonly NetMQQueue<(KernelChannel Channel, JupyterMessage Message)> _outgoing = new();
    private readonly NetMQPoller _poller;
    private readonly Heartbeat _heartbeat;
    private int _disposed;

    /// <summary>Binds the sockets and starts the poller.</summary>
    /// <param name="connection">Where to bind.</param>
    /// <param name="received">Called on the poller thread for each valid incoming message; must not block.</param>
    /// <param name="log">Kernel log (standard error).</param>
    public KernelSockets(ConnectionInfo connection, Action<KernelChannel, JupyterMessage> received, Action<string> log)
    {
        _codec = new WireCodec(new MessageSigner(connection.Key));
        _gate = new MessageGate(_codec);
        _received = received;
        _log = log;
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub })
            socket.Options.Linger = TimeSpan.FromSeconds(1);
        _shell.Bind(connection.Endpoint(connection.ShellPort));
        _control.Bind(connection.Endpoint(connection.ControlPort));
        _stdin.Bind(connection.Endpoint(connection.StdinPort));
        _iopub.Bind(connection.Endpoint(connection.IopubPort));
        _heartbeat = new Heartbeat(connection.Endpoint(connection.HeartbeatPort));

        _shell.ReceiveReady += (_, e) => Receive(KernelChannel.Shell, e.Socket);
        _control.ReceiveReady += (_, e) => Receive(KernelChannel.Control, e.Socket);
        _stdin.ReceiveReady += (_, e) => Receive(KernelChannel.Stdin, e.Socket);
        _outgoing.ReceiveReady += (_, _) => SendQueued();
        _poller = new NetMQPoller { _shell, _control, _stdin, _outgoing };
        _poller.RunAsync("jupyter-sockets");
    }

    /// <summary>The signer (the connection file's key).</summary>
    public MessageSigner Signer => _codec.Signer;

    /// <summary>Queues a message; the poller thread sends it. Messages are sent in the order they were queued.</summary>
    public void Send(KernelChannel channel, JupyterMessage message)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        _outgoing.Enqueue((channel, message));
    }

    private void Receive(KernelChannel channel, NetMQSocket socket)
    {
        var frames = new List<byte[]>();
        while (socket.TryReceiveMultipartBytes(TimeSpan.Zero, ref frames!))
        {
            var (admitted, dropped) = _gate.Admit(frames);
            if (admitted is not { } message)
            {
                _log($"dropped a message on {channel}: {dropped}");
                frames = new List<byte[]>();
                continue;
            }
            try
            {
                _received(channel, message);
            }
            catch (Exception e)
            {
                _log($"error handling {message.MsgType} on {channel}: {e}");
            }
            frames = new List<byte[]>();
        }
    }

    private void SendQueued()
    {
        while (_outgoing.TryDequeue(out var item, TimeSpan.Zero))
        {
            var socket = item.Channel switch
            {
                KernelChannel.Shell => (NetMQSocket)_shell,
                KernelChannel.Control => _control,
                KernelChannel.Stdin => _stdin,
                _ => _iopub,
            };
            var frames = _codec.Encode(item.Message);
            if (item.Channel != KernelChannel.IoPub && item.Message.Identities.Count == 0)
            {
                _log($"not sent: {item.Message.MsgType} on {item.Channel} has no routing identity");
                continue;
            }
            socket.SendMultipartBytes(frames);
        }
    }

    /// <summary>Waits until everything queued so far has been handed to ZeroMQ (at most <paramref name="timeout"/>).</summary>
    public void Flush(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_outgoing.IsEmpty && DateTime.UtcNow < deadline) Thread.Sleep(5);
    }

    /// <summary>Stops the poller and closes the sockets (pending messages get up to a second to leave).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Flush(TimeSpan.FromSeconds(2));
        _poller.Stop();
        _poller.Dispose();
        _heartbeat.Dispose();
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub }) socket.Dispose();
        _outgoing.Dispose();
    }
}
