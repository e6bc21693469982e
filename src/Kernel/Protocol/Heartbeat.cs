using NetMQ;
using NetMQ.Sockets;

namespace ModelSecurity.Kernel.Protocol;

/// <summary>The heartbeat: a REP socket on its own thread that echoes every message, so a front end sees the process is alive even while a cell runs.</summary>
internal sealed class Heartbeat : IDisposable
{
    private readonly ResponseSocket _socket = new();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public Heartbeat(string endpoint)
    {
        _socket.Options.Linger = TimeSpan.Zero;
        _socket.Bind(endpoint);
        _thread = new Thread(Run) { IsBackground = true, Name = "jupyter-heartbeat" };
        _thread.Start();
    }

    private void Run()
    {
        NetMQMessage? message = null;
        while (!_stopping)
        {
            try
            {
                if (_socket.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref message))
                    _socket.SendMultipartMessage(message);
            }
            catch (Exception e) when (e is NetMQException or ObjectDisposedException)
            {
                if (_stopping) return;
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(1));
        _socket.Dispose();
    }
}
