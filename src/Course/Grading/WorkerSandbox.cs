using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using ModelSecurity.Grading.Remote;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Cli.Grading;

/// <summary>How a submission's worker is confined.</summary>
/// <param name="TimeLimit">Wall-clock limit of the whole submission (run and checks).</param>
/// <param name="CellTimeout">Limit per cell inside the worker.</param>
/// <param name="CallTimeout">Limit per call of a learner's function during the checks.</param>
/// <param name="MemoryMegabytes">Memory limit of the worker (RLIMIT_DATA and the .NET GC's hard limit).</param>
/// <param name="Isolate">Run the worker in bubblewrap (no network, read-only file system but its own folder).</param>
/// <param name="CacheRoot">NuGet cache for <c>#r "nuget: ..."</c>.</param>
/// <param name="Parameters">Notebook parameters.</param>
internal sealed record SandboxOptions(TimeSpan TimeLimit, TimeSpan CellTimeout, TimeSpan CallTimeout, int MemoryMegabytes, bool Isolate,
    string? CacheRoot, IReadOnlyList<KeyValuePair<string, string>> Parameters);

/// <summary>
/// One run of <c>course grade-worker</c> on a copy of a submission in a private temporary folder: its own session and
/// process group, resource limits (prlimit: memory, CPU time, processes, file size, no core dumps), optionally inside
/// bubblewrap, connected to the grader by a Unix socket in that folder. Its standard output and error are drained and
/// only their last lines kept (for messages); nothing it prints is read as a result. <see cref="Dispose"/> kills it with
/// everything it started and deletes the folder.
/// </summary>
internal sealed class WorkerSandbox : IDisposable
{
    /// <summary>Largest reply the grader accepts from a worker.</summary>
    public const int MaxReplyBytes = 256 << 20;

    private readonly Process _process;
    private readonly string _folder;
    private readonly string _marker;
    private readonly Socket _listener;
    private readonly StringBuilder _tail = new();

    private WorkerSandbox(Process process, string folder, string marker, Socket listener)
    {
        (_process, _folder, _marker, _listener) = (process, folder, marker, listener);
        _ = Drain(process.StandardOutput.BaseStream);
        _ = Drain(process.StandardError.BaseStream);
    }

    /// <summary>True when bubblewrap can start a sandbox here; otherwise why not.</summary>
    public static (bool Works, string Why) ProbeIsolation()
    {
        if (!OperatingSystem.IsLinux()) return (false, "--isolate needs Linux with bubblewrap");
        string? bwrap = Which("bwrap");
        if (bwrap is null) return (false, "bubblewrap (bwrap) is not installed: install it with 'apt-get install bubblewrap' (environment/setup.sh does)");
        var probe = new ProcessStartInfo(bwrap) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true" }) probe.ArgumentList.Add(a);
        using var process = Process.Start(probe)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? (true, "") : (false, $"bubblewrap cannot create a sandbox here (user namespaces may be disabled): {error.Trim()}");
    }

    /// <summary>Starts the worker on a copy of <paramref name="notebook"/> and waits for it to connect.</summary>
    /// <exception cref="SubmissionUnavailableException">It did not start or connect in time.</exception>
    public static (WorkerSandbox Sandbox, RemoteChannel Channel) Start(string notebook, byte[] content, SandboxOptions options, int? stopBefore, TimeSpan connectTimeout)
    {
        ProcessTree.BecomeSubreaper();
        string folder = Directory.CreateTempSubdirectory("course-grade-").FullName; // mode 0700 on Unix
        string submission = Directory.CreateDirectory(Path.Combine(folder, "submission")).FullName;
        string temp = Directory.CreateDirectory(Path.Combine(folder, "tmp")).FullName;
        string copy = Path.Combine(submission, Path.GetFileName(notebook));
        File.WriteAllBytes(copy, content);
        string socketPath = Path.Combine(folder, "grader.sock");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        string marker = "COURSE_GRADE_RUN=" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

        var (fileName, prefix) = SelfCommand.Resolve(preferAppHost: true);
        string? cliHome = null;
        var command = new List<string>();
        if (options.Isolate)
        {
            command.AddRange([Which("bwrap")!, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--proc", "/proc",
                "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]);
            // The fresh /tmp and /dev/shm hide whatever lay there: a course cloned under /tmp (its build, data and the
            // helpers the notebooks #r) and a teacher's folder there must stay visible, read-only.
            string[] needed = [AppContext.BaseDirectory, Path.GetDirectoryName(Path.GetFullPath(fileName))!, CoursePaths.Root,
                               Path.GetDirectoryName(Path.GetFullPath(notebook))!];
            foreach (string path in HiddenByTheSandboxesTemp(needed)) command.AddRange(["--ro-bind", path, path]);
            command.AddRange(["--bind", folder, folder, "--chdir", submission, "--"]);
        }
        if (OperatingSystem.IsLinux() && Which("prlimit") is { } prlimit)
        {
            long memory = (long)options.MemoryMegabytes << 20;
            long cpu = (long)Math.Ceiling(options.TimeLimit.TotalSeconds * Environment.ProcessorCount) + 30;
            int processes = ProcessTree.TasksOnMachine() + 512;
            command.AddRange([prlimit, $"--data={memory}", $"--cpu={cpu}", $"--nproc={processes}", $"--fsize={1L << 30}", "--core=0", "--"]);
        }
        // A new session whose leader is not this process's child: a cell's kill(getppid()) hits the waiting setsid, not the grader.
        if (!options.Isolate && OperatingSystem.IsLinux() && Which("setsid") is { } setsid) command.AddRange([setsid, "--fork", "--wait"]);
        command.Add(fileName);
        command.AddRange(prefix);
        command.AddRange(["grade-worker", copy, "--channel", socketPath, "--base-directory", Path.GetDirectoryName(Path.GetFullPath(notebook))!,
            "--cell-timeout", ((int)Math.Ceiling(options.CellTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture)]);
        if (stopBefore is { } n) command.AddRange(["--stop-before", n.ToString(CultureInfo.InvariantCulture)]);
        // In bubblewrap the grader's pid is not visible (and --die-with-parent does the job).
        if (!options.Isolate) command.AddRange(["--grader-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        string? cache = options.CacheRoot is null ? null : Path.GetFullPath(options.CacheRoot);
        if (options.Isolate)
        {
            // The engine writes its package cache (restore projects, markers); in the sandbox it gets a private copy, so
            // one submission can neither fail on a read-only cache nor poison the cache the next submission uses.
            string source = cache ?? NuGetRestorer.DefaultCacheRoot();
            cache = Path.Combine(folder, "cache");
            if (Directory.Exists(source)) CopyDirectory(source, cache);
            cliHome = temp;
        }
        if (cache is not null) command.AddRange(["--cache", cache]);
        foreach (var (name, value) in options.Parameters) command.AddRange(["--param", $"{name}={value}"]);

        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = submission,
        };
        foreach (string a in command.Skip(1)) start.ArgumentList.Add(a);
        start.Environment["TMPDIR"] = temp;
        if (cliHome is not null) start.Environment["DOTNET_CLI_HOME"] = cliHome; // dotnet's first-run files, when a restore runs
        start.Environment["COURSE_ROOT"] = CoursePaths.Root;
        // The GC throws OutOfMemoryException below the hard limit instead of the kernel refusing memory at random.
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)options.MemoryMegabytes * 3 / 4 << 20).ToString("X", CultureInfo.InvariantCulture);
        string[] parts = marker.Split('=');
        start.Environment[parts[0]] = parts[1];

        var process = Process.Start(start) ?? throw new SubmissionUnavailableException("the grading worker could not be started");
        process.StandardInput.Close();
        var sandbox = new WorkerSandbox(process, folder, marker, listener);
        try
        {
            var accept = listener.AcceptAsync();
            if (!accept.Wait(connectTimeout))
                throw new SubmissionUnavailableException($"the grading worker did not start within {connectTimeout.TotalSeconds:0} s{sandbox.TailForMessage()}");
            // One connection only, made before any notebook code runs; nobody else can connect afterwards.
            listener.Close();
            File.Delete(socketPath);
            return (sandbox, new RemoteChannel(accept.Result, MaxReplyBytes));
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    /// <summary>True once the worker process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The worker's exit code once it ended, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The last lines the worker wrote to standard error or output, for a message (empty when none).</summary>
    public string TailForMessage()
    {
        string tail;
        lock (_tail) tail = _tail.ToString();
        var lines = tail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3).ToList();
        return lines.Count == 0 ? "" : ": " + string.Join(" | ", lines);
    }

    private async Task Drain(Stream stream)
    {
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                lock (_tail)
                {
                    _tail.Append(Encoding.UTF8.GetString(buffer, 0, n));
                    if (_tail.Length > 4096) _tail.Remove(0, _tail.Length - 2048);
                }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    /// <summary>Kills the worker and everything it started; deletes its folder.</summary>
    public void Dispose()
    {
        try { _listener.Dispose(); } catch (SocketException) { }
        try
        {
            ProcessTree.KillAll(_process.Id, _marker); // also when the worker ended: its children may outlive it
            if (!OperatingSystem.IsLinux() && !_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (string dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)));
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            if (Path.GetFileName(file) != ".lock") File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
    }

    /// <summary>The outermost of <paramref name="paths"/> that lie under /tmp or /dev/shm, which the sandbox replaces by empty folders.</summary>
    internal static IReadOnlyList<string> HiddenByTheSandboxesTemp(IEnumerable<string> paths)
    {
        var hidden = paths.Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p)))
            .Where(p => p.StartsWith("/tmp/", StringComparison.Ordinal) || p.StartsWith("/dev/shm/", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).OrderBy(p => p.Length).ToList();
        return hidden.Where((p, i) => !hidden.Take(i).Any(outer => p.StartsWith(outer + "/", StringComparison.Ordinal))).ToList();
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/bin", "/usr/sbin"]).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
