using System.Diagnostics;
using System.Text;
using ModelSecurity.Cli;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// Debian's Jupyter Notebook on 127.0.0.1 (no token), serving a temporary folder, with every Jupyter folder (config,
/// data, runtime, kernelspecs) inside the test's own temporary folder: no user configuration, kernel or secret is read or
/// touched. Disposing kills the server and the kernels it started.
/// </summary>
internal sealed class JupyterNotebookServer : IDisposable
{
    private readonly Process _server;
    private readonly StringBuilder _log = new();

    private JupyterNotebookServer(string folder, Process server, int port)
    {
        Folder = folder;
        _server = server;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    /// <summary>The test's temporary folder; the served notebooks are in <see cref="NotebookFolder"/>.</summary>
    public string Folder { get; }

    /// <summary>The folder the server serves (its notebook-dir).</summary>
    public string NotebookFolder => Path.Combine(Folder, "nb");

    /// <summary>Where the server writes the kernels' connection files.</summary>
    public string RuntimeFolder => Path.Combine(Folder, "jupyter_runtime_dir");

    /// <summary>The server's address, e.g. http://127.0.0.1:8888.</summary>
    public string BaseUrl { get; }

    /// <summary>The environment every Jupyter process of the test gets (the server, and Python clients).</summary>
    public static void Isolate(ProcessStartInfo start, string folder)
    {
        foreach (string v in new[] { "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR" })
            start.Environment[v] = Path.Combine(folder, v.ToLowerInvariant());
        start.Environment["JUPYTER_PATH"] = Path.Combine(folder, "jupyter_path", "share", "jupyter");
        start.Environment["JUPYTER_PLATFORM_DIRS"] = "1";
        start.Environment.Remove("VIRTUAL_ENV");
        start.Environment.Remove("CONDA_PREFIX");
    }

    /// <summary>
    /// Starts a server on a new temporary folder after <paramref name="prepare"/> has filled <see cref="NotebookFolder"/>;
    /// with <paramref name="courseKernel"/>, the course kernel is installed (<c>course kernel install --prefix</c>) into
    /// the folder's JUPYTER_PATH first.
    /// </summary>
    public static async Task<JupyterNotebookServer> StartAsync(Action<string> prepare, bool courseKernel)
    {
        string folder = Directory.CreateTempSubdirectory("course-jupyter-").FullName;
        prepare(Directory.CreateDirectory(Path.Combine(folder, "nb")).FullName);
        if (courseKernel)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int exit = await CourseCli.RunAsync(["kernel", "install", "--prefix", Path.Combine(folder, "jupyter_path")],
                                                new CliContext(output, error, CancellationToken.None));
            Assert.True(exit == 0, $"course kernel install failed ({exit}): {error}");
        }
        int port = FreePort();
        var start = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-m", "notebook", "--no-browser", "--ip=127.0.0.1", $"--port={port}", "--NotebookApp.token=",
                                     "--NotebookApp.password=", $"--notebook-dir={Path.Combine(folder, "nb")}", "--allow-root" })
            start.ArgumentList.Add(a);
        Isolate(start, folder);
        var server = new JupyterNotebookServer(folder, Process.Start(start)!, port);
        server._server.ErrorDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
        server._server.OutputDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
        server._server.BeginErrorReadLine();
        server._server.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                try
                {
                    if ((await http.GetAsync($"{server.BaseUrl}/api/status")).IsSuccessStatusCode) return server;
                }
                catch (HttpRequestException) { }
                Assert.False(server._server.HasExited || DateTime.UtcNow > deadline, $"Jupyter Notebook did not start:\n{server.Log}");
                await Task.Delay(500);
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public void Dispose()
    {
        if (!_server.HasExited) _server.Kill(entireProcessTree: true);
        _server.WaitForExit(10_000);
        _server.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
