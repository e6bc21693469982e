using System.Net.Sockets;
using System.Text.Json.Nodes;
using ModelSecurity.Grading;
using ModelSecurity.Grading.Remote;
using ModelSecurity.Notebooks.Execution;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Running;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// Child side of grading (hidden): connects to the grader's private channel before any notebook code runs, runs the
/// submission (reporting each cell as it starts), then answers the grader's requests in the notebook's final state
/// (<see cref="EvaluationServer"/>). It decides nothing: the checks and their expected values stay in the grader.
/// </summary>
public sealed class GradeWorkerCommand : ICommand
{
    /// <summary>Largest message the worker accepts from the grader (which is trusted).</summary>
    private const int MaxRequestBytes = 1 << 30;

    public string Name => "grade-worker";

    public string Summary => "(internal) run one submission for 'course grade' and answer its checks' questions";

    public bool Hidden => true;

    public string Help => """
        Usage: course grade-worker <notebook.ipynb> --channel SOCKET [--base-directory DIR] [--cell-timeout S] [--stop-before N] [--cache DIR] [--param NAME=VALUE ...]

        Internal: started by 'course grade' in a sandbox. Connects to the Unix socket SOCKET, runs the notebook's code
        cells (those before cell N with --stop-before), then evaluates expressions and calls the learner's functions
        on the grader's inputs until the grader closes the channel. Relative '#r' and '#load' paths resolve against DIR
        (the folder the submission was handed in, default: the notebook's). Not meant to be run by hand.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
        [new("channel", true), new("grader-pid", true), new("base-directory", true), new("cell-timeout", true), new("stop-before", true), new("cache", true), new("param", true)];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string notebookPath = args.SinglePositional("notebook");
        string socketPath = args.Value("channel") ?? throw new UsageException("--channel is required");
        int? stopBefore = args.Value("stop-before") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

        // Orphans of the learner's processes (a double fork, setsid -f) are re-parented to this process, not to init, so
        // the grader finds them among this process's descendants when it ends the run.
        Grading.ProcessTree.BecomeSubreaper();
        // Outside bubblewrap (which dies with its parent) nothing else ends this process when the grader is killed.
        if (args.Value("grader-pid") is { } graderPid && int.TryParse(graderPid, out int grader))
            new Thread(() =>
            {
                while (Directory.Exists($"/proc/{grader}")) Thread.Sleep(1000);
                Environment.Exit(ExitCodes.Interrupted);
            }) { IsBackground = true, Name = "grader watchdog" }.Start();

        // 1. The channel, before any notebook code runs: the grader accepts one connection only.
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        using var channel = new RemoteChannel(socket, MaxRequestBytes);
        channel.Send(new JsonObject { ["event"] = "hello" });

        // 2. The learner's notebook, every cell even after failures (each exercise is graded on its own).
        // The copy runs in the private folder; its references resolve as they would where it was handed in.
        string? baseDirectory = args.Value("base-directory");
        var notebook = baseDirectory is null ? NotebookDocument.Load(notebookPath)
            : NotebookDocument.Parse(File.ReadAllText(notebookPath), Path.Combine(Path.GetFullPath(baseDirectory), Path.GetFileName(notebookPath)));
        if (stopBefore is { } n)
            foreach (var cell in notebook.Cells.Where(c => notebook.NumberOf(c) >= n).ToList()) notebook.RemoveCell(cell);
        var runner = new NotebookRunner(notebook, new RunOptions
        {
            Parameters = RunCommand.ParseParameters(args.Values("param")),
            ContinueOnError = true,
            CellTimeout = args.Seconds("cell-timeout", 600),
            CacheRoot = args.Value("cache"),
            Progress = new ChannelProgress(channel),
            Host = NotebookHost.Grader, // in-notebook check cells stay inert: the grader runs the checks
        });
        var summary = await runner.RunAsync(context.Interrupt).ConfigureAwait(false);

        // 3. What the grader needs to know about the run (it treats this as the learner's word, for messages only).
        var errors = new JsonObject();
        foreach (var cell in notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code && c.ExerciseId is not null && c.HasTag("exercise")))
        {
            string? error = cell.Outputs.OfType<JsonObject>()
                .Where(o => (string?)o["output_type"] == "error")
                .Select(o => (o["traceback"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? (string?)o["evalue"])
                .FirstOrDefault();
            if (error is not null && !errors.ContainsKey(cell.ExerciseId!)) errors[cell.ExerciseId!] = error;
        }
        int? timedOut = summary.Outcome == RunOutcome.TimedOut ? summary.Failures.LastOrDefault()?.CellNumber : null;
        channel.Send(new JsonObject { ["event"] = "ran", ["timedOutCell"] = timedOut, ["cellErrors"] = errors });

        // 4. The grader's questions, until it closes the channel.
        var evaluate = typeof(EngineExerciseContext).GetMethod(nameof(EngineExerciseContext.Evaluate))!;
        var engineContext = new EngineExerciseContext(runner.Engine, "", true, null);
        new EvaluationServer(channel, (expression, type) =>
        {
            try
            {
                return evaluate.MakeGenericMethod(type).Invoke(engineContext, [expression]);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is { } inner)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
                throw;
            }
        }).Serve();
        return ExitCodes.Ok;
    }

    /// <summary>Tells the grader which cell starts, so a hang or a crash can be attributed to it.</summary>
    private sealed class ChannelProgress(RemoteChannel channel) : IRunProgress
    {
        public void CellStarting(int index, int total, int cellNumber, string firstLine) =>
            channel.Send(new JsonObject { ["event"] = "cell", ["number"] = cellNumber });

        public void CellFinished(int index, int total, int cellNumber, CellResult result) { }
    }
}
