using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;
using ModelSecurity.Notebooks.Scripting;
using ModelSecurity.Runtime;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>Settings of a <see cref="NotebookEngine"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>Folder that relative <c>#r</c> and <c>#load</c> paths start from: the notebook's folder.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The notebook's file name, used in the names Roslyn gives cells (<c>name.ipynb#cell-3.csx</c>).</summary>
    public string NotebookName { get; init; } = "notebook.ipynb";

    /// <summary>Cache root for NuGet restores (default: <see cref="NuGetRestorer.DefaultCacheRoot"/>).</summary>
    public string? CacheRoot { get; init; }

    /// <summary>Formatters; default: <see cref="FormatterRegistry.CreateDefault"/>.</summary>
    public FormatterRegistry? Formatters { get; init; }

    /// <summary>Receives engine messages (NuGet restores); they are not cell outputs.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Throttling of the progress displays that long library operations show in the running cell (default: <see cref="ProgressSettings.Default"/>).</summary>
    public ProgressSettings? Progress { get; init; }

    /// <summary>Who runs the notebook: the grading worker sets <see cref="NotebookHost.Grader"/> so check cells stay inert.</summary>
    public NotebookHost Host { get; init; } = NotebookHost.Interactive;
}

/// <summary>
/// Runs C# cells one after another in one shared Roslyn script state: what a cell declares, the next cells see.
/// Outputs (console text, displayed values, the trailing expression's value, errors) go to an
/// <see cref="ICellOutputSink"/> as they happen. No file I/O happens here; see <c>NotebookRunner</c> for notebooks.
/// </summary>
public sealed class NotebookEngine
{
    /// <summary>Namespaces every cell sees without a <c>using</c>.</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading",
        "System.Threading.Tasks", typeof(DisplayExtensions).Namespace!,
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> BaseReferences = new(CreateBaseReferences);

    private readonly EngineOptions _options;
    private readonly NuGetRestorer _restorer;
    private readonly NotebookGlobals _globals;
    private readonly List<PackageRequest> _packages = [];
    private readonly List<string> _sources = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImmutableArray<PortableExecutableReference> _packageReferences = [];
    private string? _restoredKey;
    private ScriptOptions? _scriptOptions;
    private ScriptState? _state;
    private string? _poisonedBecause;
    private CellContext? _runningCell;

    /// <summary>Creates an engine; the first cell pays for Roslyn's start-up (about a second).</summary>
    public NotebookEngine(EngineOptions? options = null)
    {
        _options = options ?? new EngineOptions();
        _globals = new NotebookGlobals { Engine = this };
        Formatters = _options.Formatters ?? FormatterRegistry.CreateDefault();
        _restorer = new NuGetRestorer(_options.CacheRoot ?? NuGetRestorer.DefaultCacheRoot(), NuGetRestorer.FindNativeTargets())
        {
            Log = _options.Log,
        };
        ConsoleCapture.EnsureInstalled();
    }

    /// <summary>The formatters used for displayed values and results.</summary>
    public FormatterRegistry Formatters { get; }

    /// <summary>Display state of this notebook (resources already embedded, such as plotly.js).</summary>
    public DisplaySession DisplaySession { get; } = new();

    /// <summary>Who runs the notebook (<see cref="EngineOptions.Host"/>).</summary>
    public NotebookHost Host => _options.Host;

    /// <summary>The notebook's folder (<see cref="EngineOptions.BaseDirectory"/>): exercise hints and solutions are looked up from it.</summary>
    public string BaseDirectory => _options.BaseDirectory;

    /// <summary>Number of cells run so far (the last execution count).</summary>
    public int ExecutionCount { get; private set; }

    /// <summary>Set when the engine refuses further cells (after a timeout or an interruption that did not stop).</summary>
    public string? PoisonedBecause => _poisonedBecause;

    /// <summary>Runs one cell.</summary>
    /// <param name="code">The cell's source.</param>
    /// <param name="sink">Receives the outputs as they happen.</param>
    /// <param name="options">Cell number, kernel name, time limit.</param>
    /// <param name="cancellationToken">Interruption request (Ctrl+C); also published as <see cref="Interruption.Token"/>.</param>
    public async Task<CellResult> ExecuteAsync(string code, ICellOutputSink sink, CellRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new CellRunOptions();
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await ExecuteLockedAsync(code, sink, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Evaluates a C# expression in the current state, e.g. <c>EvaluateAsync&lt;Func&lt;double,double&gt;&gt;("Square")</c>;
    /// methods defined in cells convert to delegates. Throws <see cref="CompilationErrorException"/> when it does not compile.
    /// </summary>
    public async Task<T> EvaluateAsync<T>(string expression, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_poisonedBecause is not null) throw new InvalidOperationException(_poisonedBecause);
            var state = await EnsureStateAsync().ConfigureAwait(false);
            var next = await ContinueWithExpressionAsync<T>(state, expression, cancellationToken).ConfigureAwait(false);
            _state = next;
            return next.ReturnValue;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Evaluates a C# expression in the state the running cell started from (every cell before it), from code of that
    /// running cell, e.g. an in-notebook exercise check. The running cell holds the engine's gate, so this neither takes
    /// it (that would deadlock) nor stores the new state: the expression is a side branch of the script, and the running
    /// cell's own continuation (already started from the same state) stays the engine's next state.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called from the cell this engine is running (e.g. from a task that outlived its cell).</exception>
    /// <exception cref="CompilationErrorException">The expression does not compile.</exception>
    internal T EvaluateFromRunningCell<T>(string expression)
    {
        var caller = CellContext.Current;
        if (caller is null || !ReferenceEquals(caller, Volatile.Read(ref _runningCell)) || caller.IsClosed)
            throw new InvalidOperationException("This can only run inside a notebook cell while that cell is running (not from a background task).");
        var state = _state ?? throw new InvalidOperationException("The engine has not started yet.");
        return ContinueWithExpressionAsync<T>(state, expression, CancellationToken.None).GetAwaiter().GetResult().ReturnValue;
    }

    private Task<ScriptState<T>> ContinueWithExpressionAsync<T>(ScriptState state, string expression, CancellationToken cancellationToken)
    {
        string code = $"({CSharpTypeName(typeof(T))})({expression}\n)";
        var options = ScriptOptionsFor(0).AddReferences(typeof(T).Assembly).WithFilePath(ErrorFormatter.CellFilePath(_options.BaseDirectory, _options.NotebookName, 0));
        return state.ContinueWithAsync<T>(code, options, cancellationToken);
    }

    /// <summary>
    /// Compiles <paramref name="code"/> as the next cell, after every cell run so far, without running it: the
    /// compilation's semantic model answers completion and inspection requests (a Jupyter kernel uses it).
    /// Directives are not handled here: blank <c>#r "nuget: ..."</c>, <c>#i</c> and <c>#!</c> lines first, or a
    /// package restore would run.
    /// </summary>
    /// <param name="code">The code, e.g. the cell being edited.</param>
    /// <param name="cancellationToken">Stops waiting for a running cell.</param>
    /// <returns>The compilation; its first syntax tree is <paramref name="code"/>.</returns>
    public async Task<Compilation> CompileNextCellAsync(string code, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = await EnsureStateAsync().ConfigureAwait(false);
            return state.Script.ContinueWith(code, ScriptOptionsFor(ExecutionCount + 1)).GetCompilation();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<CellResult> ExecuteLockedAsync(string code, ICellOutputSink sink, CellRunOptions options, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.Now;
        if (_poisonedBecause is not null)
        {
            var refused = ErrorFormatter.Simple("EngineUnavailable", _poisonedBecause, options.CellNumber);
            sink.Add(refused);
            return new CellResult(CellStatus.Rejected, 0, start, TimeSpan.Zero, refused);
        }
        var directives = CellDirectives.Parse(code, options.KernelName);
        if (directives.Rejection is not null)
        {
            var rejected = ErrorFormatter.Simple("UnsupportedLanguage", directives.Rejection, options.CellNumber);
            sink.Add(rejected);
            return new CellResult(CellStatus.Rejected, 0, start, TimeSpan.Zero, rejected);
        }

        int count = ++ExecutionCount;
        var context = new CellContext(sink, Formatters, DisplaySession, count);
        Volatile.Write(ref _runningCell, context);
        var clock = Stopwatch.StartNew();
        var previousToken = Interruption.Token;
        Interruption.Token = cancellationToken;
        var cellTask = Task.Run(() => RunCellAsync(directives, context, options.CellNumber, cancellationToken), CancellationToken.None);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timeout = options.Timeout is { } limit ? Task.Delay(limit, stop.Token) : Task.Delay(Timeout.Infinite, stop.Token);
        var finished = await Task.WhenAny(cellTask, timeout).ConfigureAwait(false);
        stop.Cancel();

        CellResult result;
        if (finished == cellTask)
        {
            var (status, error) = await cellTask.ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested) status = CellStatus.Interrupted;
            result = new CellResult(status, count, start, clock.Elapsed, error);
        }
        else if (!cancellationToken.IsCancellationRequested)
        {
            context.Close();
            _poisonedBecause = $"A cell timed out after {options.Timeout!.Value.TotalSeconds:0.#} s and may still be running; " +
                               "its state cannot be trusted. Start a new engine (run the notebook again).";
            var error = ErrorFormatter.Simple("CellTimeout",
                $"The cell did not finish within {options.Timeout!.Value.TotalSeconds:0.#} seconds (--cell-timeout). " +
                "Code running in the engine's process cannot be aborted safely: the run stops here.", options.CellNumber);
            sink.Add(error);
            result = new CellResult(CellStatus.TimedOut, count, start, clock.Elapsed, error);
        }
        else
        {
            // Interrupted: give the cell a moment to notice (helper loops poll Interruption.ThrowIfRequested()).
            var done = await Task.WhenAny(cellTask, Task.Delay(options.InterruptGrace)).ConfigureAwait(false);
            ErrorOutput? error = null;
            if (done == cellTask)
            {
                (_, error) = await cellTask.ConfigureAwait(false);
            }
            else
            {
                context.Close();
                _poisonedBecause = "An interrupted cell did not stop and may still be running; start a new engine.";
            }
            if (error is null || done != cellTask)
            {
                error = ErrorFormatter.Simple("Interrupted", "Interrupted by the user (Ctrl+C).", options.CellNumber);
                sink.Add(error);
            }
            result = new CellResult(CellStatus.Interrupted, count, start, clock.Elapsed, error);
        }
        context.Close();
        Volatile.Write(ref _runningCell, null);
        Interruption.Token = previousToken;
        return result;
    }

    private async Task<(CellStatus, ErrorOutput?)> RunCellAsync(CellDirectives directives, CellContext context, int cellNumber,
        CancellationToken cancellationToken)
    {
        CellContext.Current = context;
        // The library's progress reports (training, attacks, …) become a live display in this cell, and only this one.
        using var progress = Progress.Use(new CellProgressSink(context), _options.Progress);
        try
        {
            if (directives.Packages.Count > 0 || directives.Sources.Count > 0)
                AddPackages(directives.Packages, directives.Sources, cancellationToken);
            var state = await EnsureStateAsync().ConfigureAwait(false);
            var options = ScriptOptionsFor(cellNumber);
            var next = await state.ContinueWithAsync(directives.Code, options, _ => true, CancellationToken.None).ConfigureAwait(false);
            _state = next;
            if (next.Exception is not null)
            {
                var error = ErrorFormatter.FromException(next.Exception);
                context.Add(error);
                return (CellStatus.Failed, error);
            }
            // A cell ending in display(x) without ';' already showed x: its handle is not a result to show as well.
            if (HasTrailingExpression(directives.Code) && next.ReturnValue is { } value and not Scripting.DisplayedValue)
            {
                var bundle = Formatters.Format(value, context.DisplayContext);
                context.Add(new DisplayOutput(bundle, IsResult: true, ExecutionCount: context.ExecutionCount));
            }
            return (CellStatus.Succeeded, null);
        }
        catch (CompilationErrorException e)
        {
            var error = ErrorFormatter.FromDiagnostics(e.Diagnostics, directives.Code, cellNumber);
            context.Add(error);
            return (CellStatus.Failed, error);
        }
        catch (NuGetRestoreException e)
        {
            var error = ErrorFormatter.Simple("NuGetRestoreError", e.Message, cellNumber);
            context.Add(error);
            return (CellStatus.Failed, error);
        }
        catch (Exception e)
        {
            var error = ErrorFormatter.FromException(e);
            context.Add(error);
            return (CellStatus.Failed, error);
        }
        finally
        {
            context.Flush();
        }
    }

    private async Task<ScriptState> EnsureStateAsync()
    {
        if (_state is not null) return _state;
        var script = CSharpScript.Create("", ScriptOptionsFor(0), typeof(NotebookGlobals));
        _state = await script.RunAsync(_globals).ConfigureAwait(false);
        return _state;
    }

    private ScriptOptions ScriptOptionsFor(int cellNumber)
    {
        _scriptOptions ??= ScriptOptions.Default
            .WithReferences(BaseReferences.Value)
            .WithImports(DefaultImports)
            .WithMetadataResolver(new CourseReferenceResolver(_options.BaseDirectory, ResolveNuGetReference))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(_options.BaseDirectory))
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithFileEncoding(Encoding.UTF8)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithAllowUnsafe(true);
        var options = _scriptOptions.WithFilePath(ErrorFormatter.CellFilePath(_options.BaseDirectory, _options.NotebookName, cellNumber));
        // The restored package set reaches every later cell through the options: a #r directive binds one assembly only.
        return _packageReferences.IsDefaultOrEmpty ? options : options.AddReferences(_packageReferences);
    }

    /// <summary>
    /// Called by Roslyn for each <c>#r "nuget: ..."</c>: the package's own assembly (named like the package, else the
    /// set's first). Roslyn accepts one reference per directive (more throw <see cref="NotSupportedException"/>); the other
    /// assemblies of the restored set (dependencies such as FSharp.Core) come with the script options.
    /// </summary>
    private ImmutableArray<PortableExecutableReference> ResolveNuGetReference(string text)
    {
        PackageRequest request;
        try
        {
            request = PackageRequest.Parse(text);
        }
        catch (FormatException)
        {
            return [];
        }
        if (ProvidedByEngine(request))
            return [MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location)];
        // A package only seen now (e.g. in a #load-ed file) is added to the session's set.
        AddPackages([request], [], CancellationToken.None);
        if (_packageReferences.IsDefaultOrEmpty) return [];
        var own = _packageReferences.FirstOrDefault(r =>
            string.Equals(Path.GetFileNameWithoutExtension(r.FilePath), request.Id, StringComparison.OrdinalIgnoreCase));
        return [own ?? _packageReferences[0]];
    }

    /// <summary>Packages the engine itself provides: a notebook's request for them uses the engine's copy (same types, no multi-GB download).</summary>
    private static bool ProvidedByEngine(PackageRequest package) =>
        package.Id.Equals("TorchSharp", StringComparison.OrdinalIgnoreCase)
        || package.Id.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase)
        || package.Id.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase);

    private void AddPackages(IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> sources, CancellationToken cancellationToken)
    {
        foreach (string source in sources)
            if (!_sources.Contains(source, StringComparer.Ordinal)) _sources.Add(source);
        foreach (var package in packages)
        {
            if (ProvidedByEngine(package))
            {
                var torch = typeof(TorchSharp.torch).Assembly.GetName();
                if (package.Version is not null && !package.Version.StartsWith(torch.Version!.ToString(3), StringComparison.Ordinal))
                    _options.Log?.Invoke($"note: {package} requested; the engine provides TorchSharp {torch.Version.ToString(3)}, which is used.");
                continue;
            }
            int existing = _packages.FindIndex(p => p.Id.Equals(package.Id, StringComparison.OrdinalIgnoreCase));
            if (existing < 0) _packages.Add(package);
            else if (package.Version is not null && _packages[existing].Version != package.Version)
            {
                if (_packageReferences.IsDefaultOrEmpty || _restoredKey is null) _packages[existing] = package;
                else throw new NuGetRestoreException(
                    $"{_packages[existing]} is already loaded in this notebook; it cannot be replaced by {package} (restart: run the notebook again).");
            }
        }
        if (_packages.Count == 0) return;
        string key = string.Join(";", _packages.Select(p => p.ToString())) + "|" + string.Join(";", _sources);
        if (key == _restoredKey) return;
        var result = _restorer.Restore(_packages.ToList(), _sources.ToList(), cancellationToken);
        _packageReferences = result.Assemblies
            .Select(path => MetadataReference.CreateFromFile(LoadedAssemblies.PreferEngineCopy(path)))
            .ToImmutableArray();
        RegisterProbingDirectory(result.Directory);
        _restoredKey = key;
    }

    private static readonly HashSet<string> ProbingDirectories = new(StringComparer.Ordinal);

    /// <summary>Lets the default load context find the restored assemblies' dependencies and native libraries.</summary>
    private static void RegisterProbingDirectory(string directory)
    {
        lock (ProbingDirectories)
        {
            if (ProbingDirectories.Count == 0)
            {
                System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += (context, name) =>
                {
                    foreach (string dir in Snapshot())
                    {
                        string candidate = Path.Combine(dir, name.Name + ".dll");
                        if (File.Exists(candidate)) return context.LoadFromAssemblyPath(candidate);
                    }
                    return null;
                };
                System.Runtime.Loader.AssemblyLoadContext.Default.ResolvingUnmanagedDll += (assembly, name) =>
                {
                    foreach (string dir in Snapshot())
                        foreach (string file in new[] { name, name + ".so", "lib" + name + ".so", name + ".dll", "lib" + name + ".dylib" })
                        {
                            string candidate = Path.Combine(dir, file);
                            if (File.Exists(candidate) && System.Runtime.InteropServices.NativeLibrary.TryLoad(candidate, out IntPtr handle))
                                return handle;
                        }
                    return IntPtr.Zero;
                };
            }
            ProbingDirectories.Add(directory);
        }

        static string[] Snapshot()
        {
            lock (ProbingDirectories) return ProbingDirectories.ToArray();
        }
    }

    private static bool HasTrailingExpression(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var root = (CompilationUnitSyntax)tree.GetRoot();
        return root.Members.LastOrDefault() is GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
               && statement.SemicolonToken.IsMissing;
    }

    private static ImmutableArray<MetadataReference> CreateBaseReferences()
    {
        var paths = new List<string>(LoadedAssemblies.FrameworkAssemblies());
        var seeds = new[]
        {
            typeof(NotebookEngine).Assembly, typeof(Interruption).Assembly, typeof(TorchSharp.torch).Assembly,
            typeof(Plotly.NET.GenericChart).Assembly, typeof(Plotly.NET.CSharp.Chart).Assembly,
        };
        foreach (var assembly in seeds)
        {
            paths.Add(assembly.Location);
            foreach (var dependency in assembly.GetReferencedAssemblies())
            {
                try
                {
                    var loaded = Assembly.Load(dependency);
                    if (!loaded.IsDynamic && !string.IsNullOrEmpty(loaded.Location)) paths.Add(loaded.Location);
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // not needed at compile time
                }
            }
        }
        return paths.Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }

    /// <summary>C# spelling of a type, e.g. <c>global::System.Func&lt;global::System.Double, global::System.Double&gt;</c>.</summary>
    internal static string CSharpTypeName(Type type)
    {
        if (type.IsArray) return CSharpTypeName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsGenericParameter) return type.Name;
        string name = type.IsNested ? CSharpTypeName(type.DeclaringType!) + "." + type.Name : "global::" + type.FullName!.Split('`')[0];
        if (type.IsNested) name = name.Split('`')[0];
        if (!type.IsGenericType) return type.IsNested ? name : "global::" + (type.FullName ?? type.Name);
        var args = type.GetGenericArguments();
        int own = type.IsNested ? args.Length - type.DeclaringType!.GetGenericArguments().Length : args.Length;
        string baseName = type.IsNested
            ? CSharpTypeName(type.DeclaringType!) + "." + type.Name.Split('`')[0]
            : "global::" + type.GetGenericTypeDefinition().FullName!.Split('`')[0];
        return baseName + "<" + string.Join(", ", args.Skip(args.Length - own).Select(CSharpTypeName)) + ">";
    }
}
