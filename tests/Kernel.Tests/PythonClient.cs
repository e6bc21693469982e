using System.Diagnostics;
using System.Text.Json.Nodes;
using ModelSecurity.Cli;

namespace ModelSecurity.Kernel.Tests;

/// <summary>
/// Runs the Python client scripts in clients/ with Debian's jupyter_client/nbclient (<c>/usr/bin/python3</c>: PATH's
/// python3 may be another one without them) against the course kernel, installed once per test run with
/// <c>course kernel install --prefix</c> into a temporary folder that JUPYTER_PATH points at.
/// </summary>
internal static class PythonClient
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<Task<string>> InstalledPrefix = new(InstallAsync);

    /// <summary>Runs clients/<paramref name="script"/> and returns the object it printed after "RESULT ".</summary>
    public static Task<JsonObject> RunAsync(string script, params string[] arguments) =>
        RunAsync(TimeSpan.FromMinutes(3), script, arguments);

    /// <summary>Runs clients/<paramref name="script"/>, failing the test if it takes longer than <paramref name="limit"/>.</summary>
    public static async Task<JsonObject> RunAsync(TimeSpan limit, string script, params string[] arguments)
    {
        string jupyterData = await InstalledPrefix.Value;
        string runtime = Directory.CreateTempSubdirectory("course-kernel-runtime-").FullName;
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = runtime,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "clients", script));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["JUPYTER_PATH"] = jupyterData;
        start.Environment["JUPYTER_DATA_DIR"] = Path.Combine(runtime, "data"); // no user kernelspec can shadow the test's
        start.Environment["JUPYTER_RUNTIME_DIR"] = runtime;
        start.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(runtime, "config"); // nor the user's Jupyter configuration
        start.Environment["JUPYTER_PLATFORM_DIRS"] = "1";
        start.Environment["PYTHONPATH"] = Path.Combine(AppContext.BaseDirectory, "clients");
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment.Remove("VIRTUAL_ENV");
        start.Environment.Remove("CONDA_PREFIX");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("python did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{Python} is missing ({e.Message}); install Debian's Jupyter client: apt-get install python3-jupyter-client python3-nbclient");
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(limit);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{script} did not finish within {limit.TotalMinutes:G3} minutes:\n{await stderr}");
            }
            string output = await stdout, errors = await stderr;
            if (errors.Contains("No module named", StringComparison.Ordinal))
                Assert.Fail($"{Python} lacks a Jupyter module; install python3-jupyter-client python3-nbclient python3-zmq:\n{errors}");
            string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
            if (process.ExitCode != 0 || line is null)
                Assert.Fail($"{script} exited with {process.ExitCode}\nstdout:\n{output}\nstderr:\n{errors}");
            try { Directory.Delete(runtime, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return (JsonObject)JsonNode.Parse(line!["RESULT ".Length..])!;
        }
    }

    private static async Task<string> InstallAsync()
    {
        string prefix = Directory.CreateTempSubdirectory("course-kernel-prefix-").FullName;
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CourseCli.RunAsync(["kernel", "install", "--prefix", prefix], new CliContext(output, error, CancellationToken.None));
        if (exit != 0) throw new InvalidOperationException($"course kernel install failed ({exit}): {error}");
        return Path.Combine(prefix, "share", "jupyter");
    }
}
