namespace ModelSecurity.Kernel;

/// <summary>Settings of a <see cref="JupyterKernel"/>.</summary>
public sealed record KernelOptions
{
    /// <summary>Folder that relative <c>#r</c>/<c>#load</c> paths start from (Jupyter starts kernels in the notebook's folder).</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The notebook's file name, shown in the names Roslyn gives cells (default from <c>JPY_SESSION_NAME</c>).</summary>
    public string NotebookName { get; init; } = DefaultNotebookName();

    /// <summary>Cache root for NuGet restores (null: the engine's default).</summary>
    public string? CacheRoot { get; init; }

    /// <summary>Kernel log (malformed or badly signed messages, unknown message types); default: the original standard error.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>After an interrupt, how long a cell gets to stop by itself before the kernel gives it up.</summary>
    public TimeSpan InterruptGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Process that started the kernel; when it disappears the kernel shuts down (Jupyter's <c>JPY_PARENT_PID</c>, POSIX only).</summary>
    public int? ParentProcessId { get; init; } = DefaultParentProcessId();

    /// <summary>Version reported in <c>kernel_info_reply</c>.</summary>
    public string ImplementationVersion { get; init; } =
        typeof(KernelOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static string DefaultNotebookName()
    {
        string? session = Environment.GetEnvironmentVariable("JPY_SESSION_NAME");
        string name = string.IsNullOrWhiteSpace(session) ? "" : Path.GetFileName(session.TrimEnd('/', '\\'));
        return name.Length > 0 ? name : "notebook.ipynb";
    }

    private static int? DefaultParentProcessId()
    {
        if (OperatingSystem.IsWindows()) return null; // there JPY_PARENT_PID is a handle, not a process id
        return int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out int pid) && pid > 1 ? pid : null;
    }
}
