using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ModelSecurity.Tests.Data;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 and a free port, serving byte arrays by path and counting requests.
/// Unknown paths get 404.
/// </summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public LoopbackServer()
    {
        int port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.AbsoluteUri);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    /// <summary>Serves <paramref name="content"/> at /<paramref name="path"/>.</summary>
    public void Serve(string path, byte[] content) => _files[path] = content;

    public int Requests(string path) => _requests.TryGetValue(path, out int n) ? n : 0;

    public int TotalRequests => _requests.Values.Sum();

    /// <summary>A port nobody listens on right now (connections to it are refused).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            string path = context.Request.Url!.AbsolutePath.TrimStart('/');
            _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
            try
            {
                if (_files.TryGetValue(path, out byte[]? content))
                {
                    context.Response.ContentType = "application/octet-stream";
                    context.Response.ContentLength64 = content.Length;
                    await context.Response.OutputStream.WriteAsync(content);
                }
                else context.Response.StatusCode = 404;
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
