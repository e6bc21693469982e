using System.Diagnostics;
using ModelSecurity.Kernel;
using ModelSecurity.Kernel.Install;
using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Cli.Commands;

/// <summary><c>course kernel</c>: the Jupyter kernel (install, uninstall, list, run).</summary>
public sealed class KernelCommand : ICommand
{
    public string Name => "kernel";

    public string Summary => "Jupyter kernel for the course's C# (install, uninstall, list, run)";

    public string Help => $"""
        Usage:
          course kernel install   [--user | --prefix DIR | --sys-prefix] [--name NAME] [--display-name TEXT]
          course kernel uninstall [--user | --prefix DIR | --sys-prefix] [--name NAME] [--force]
          course kernel list
          course kernel run --connection-file FILE

        A Jupyter kernel (messaging protocol 5.3) on the course's notebook engine, so the notebooks run interactively
        in VS Code (Jupyter extension), JupyterLab, Notebook 7, jupyter console, nbclient/nbconvert and papermill.

        install    writes the kernelspec DIR/kernels/NAME/kernel.json, whose argv starts this build of course:
                     --user        the user's Jupyter data folder (~/.local/share/jupyter; $JUPYTER_DATA_DIR if set)
                     --prefix DIR  DIR/share/jupyter (a virtual environment or conda prefix)
                     --sys-prefix  the prefix of the python3 on PATH (the environment whose Jupyter you use)
                     (none)        the system folder /usr/local/share/jupyter (needs root), as `jupyter kernelspec install`
                   The default name is {KernelSpec.DefaultName}: the name the course's notebooks (and VS Code's .NET notebooks)
                   ask for, so they open with this kernel without edits. A leftover .NET Interactive kernelspec of
                   the same name in that folder is replaced (a warning says so); one in another folder earlier on
                   Jupyter's search path would win: `course kernel list` shows which one Jupyter uses.
                   The kernelspec points at this build's course.dll: install again after moving the repository.
        uninstall  removes the kernelspec (only one written by course, unless --force).
        list       kernelspecs on Jupyter's search path; '*' marks the course's, '(shadowed)' the ones Jupyter does not use.
        run        starts the kernel for a connection file (Jupyter does this; interrupts arrive as interrupt_request,
                   SIGINT interrupts the running cell too).

        Exit codes: 0 ok, 2 bad usage or a kernelspec that is not the course's.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("user", false), new("prefix", true), new("sys-prefix", false), new("name", true), new("display-name", true),
        new("force", false), new("connection-file", true, "f"),
    ];

    public async Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string action = args.Positionals.Count > 0 ? args.Positionals[0] : throw new UsageException("missing action: install, uninstall, list or run");
        if (args.Positionals.Count > 1) throw new UsageException($"unexpected argument '{args.Positionals[1]}'");
        return action switch
        {
            "install" => Install(args, context),
            "uninstall" => Uninstall(args, context),
            "list" => List(context),
            "run" => await Run(args, context).ConfigureAwait(false),
            _ => throw new UsageException($"unknown action '{action}': install, uninstall, list or run"),
        };
    }

    private static int Install(ParsedArgs args, CliContext context)
    {
        string name = args.Value("name") ?? KernelSpec.DefaultName;
        string dataDir = DataDir(args);
        var spec = KernelSpec.ForCourse(SelfCommand.CommandLine(preferAppHost: false), args.Value("display-name") ?? KernelSpec.DefaultDisplayName,
            CourseCli.Version);
        var (dir, replaced) = KernelSpecStore.Install(spec, name, dataDir);
        if (replaced is { IsDotNetInteractive: true })
            context.Error.WriteLine($"warning: replaced the .NET Interactive kernelspec '{name}' in {dir} (.NET Interactive is deprecated; " +
                                    "`dotnet tool uninstall -g Microsoft.dotnet-interactive` removes the tool itself).");
        else if (replaced is { IsCourseKernel: false })
            context.Error.WriteLine($"warning: replaced another kernelspec '{name}' in {dir} (argv: {string.Join(" ", replaced.Argv)}).");
        context.Out.WriteLine($"Installed kernelspec '{name}' ({spec.DisplayName}) in {dir}");
        var winner = KernelSpecStore.List().FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));
        if (winner is not null && !SameDirectory(winner.Directory, dir))
            context.Error.WriteLine($"warning: Jupyter will use the kernelspec '{name}' in {winner.Directory}, which comes earlier on its search path" +
                                    (winner.Spec.IsDotNetInteractive ? " (.NET Interactive's)" : "") +
                                    $"; remove it, or install with --user. `course kernel list` shows the search order.");
        return ExitCodes.Ok;
    }

    private static int Uninstall(ParsedArgs args, CliContext context)
    {
        string name = args.Value("name") ?? KernelSpec.DefaultName;
        bool located = args.Flag("user") || args.Value("prefix") is not null || args.Flag("sys-prefix");
        IEnumerable<string> dataDirs = located ? [DataDir(args)] : JupyterPaths.SearchPath();
        int removed = 0;
        foreach (string dataDir in dataDirs)
        {
            try
            {
                if (!KernelSpecStore.Uninstall(name, dataDir, args.Flag("force"))) continue;
                context.Out.WriteLine($"Removed {JupyterPaths.KernelDir(dataDir, name)}");
                removed++;
            }
            catch (InvalidOperationException e) when (!located)
            {
                context.Error.WriteLine($"left alone: {e.Message}");
            }
            catch (InvalidOperationException e)
            {
                context.Error.WriteLine($"course kernel: {e.Message}");
                return ExitCodes.Usage;
            }
        }
        if (removed == 0) context.Error.WriteLine($"No kernelspec '{name}' written by course was found.");
        return ExitCodes.Ok;
    }

    private static int List(CliContext context)
    {
        var kernels = KernelSpecStore.List();
        if (kernels.Count == 0)
        {
            context.Out.WriteLine("No kernelspecs found. Search path: " + string.Join(Path.PathSeparator, JupyterPaths.SearchPath()));
            return ExitCodes.Ok;
        }
        int width = Math.Max(4, kernels.Max(k => k.Name.Length));
        foreach (var k in kernels)
        {
            string mark = k.Spec.IsCourseKernel ? "*" : k.Spec.IsDotNetInteractive ? "!" : " ";
            string note = k.Spec.IsDotNetInteractive ? "  (.NET Interactive, deprecated)" : "";
            context.Out.WriteLine($"{mark} {k.Name.PadRight(width)}  {k.Directory}{(k.Shadowed ? "  (shadowed)" : "")}{note}");
        }
        context.Out.WriteLine("* written by course kernel install; ! .NET Interactive's; Jupyter uses the first of each name.");
        return ExitCodes.Ok;
    }

    private static async Task<int> Run(ParsedArgs args, CliContext context)
    {
        string file = args.Value("connection-file") ?? throw new UsageException("missing --connection-file FILE");
        if (!File.Exists(file)) throw new UsageException($"connection file '{file}' does not exist");
        var connection = ConnectionInfo.Load(file);
        using var kernel = new JupyterKernel(connection, new KernelOptions { Log = context.Error });
        // Ctrl+C / SIGINT (interrupt_mode "signal", or a terminal) interrupts the running cell; the kernel stays up.
        CtrlC.Override = kernel.Interrupt;
        try
        {
            bool restart = await kernel.RunAsync().ConfigureAwait(false);
            context.Error.WriteLine(restart ? "[kernel] exiting for a restart" : "[kernel] exiting");
        }
        catch (NetMQ.NetMQException e)
        {
            context.Error.WriteLine($"course kernel: cannot bind the sockets named in {file} ({e.ErrorCode}): {e.Message}");
            return ExitCodes.Failed;
        }
        finally
        {
            CtrlC.Override = null;
        }
        return ExitCodes.Ok;
    }

    private static string DataDir(ParsedArgs args)
    {
        int chosen = (args.Flag("user") ? 1 : 0) + (args.Value("prefix") is null ? 0 : 1) + (args.Flag("sys-prefix") ? 1 : 0);
        if (chosen > 1) throw new UsageException("use only one of --user, --prefix and --sys-prefix");
        if (args.Flag("user")) return JupyterPaths.UserDataDir();
        if (args.Value("prefix") is { } prefix) return JupyterPaths.PrefixDataDir(prefix);
        if (args.Flag("sys-prefix")) return JupyterPaths.PrefixDataDir(PythonPrefix());
        return JupyterPaths.SystemDataDir();
    }

    private static string PythonPrefix()
    {
        foreach (string python in new[] { "python3", "python" })
        {
            try
            {
                var start = new ProcessStartInfo(python, ["-c", "import sys; print(sys.prefix)"]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var process = Process.Start(start);
                if (process is null) continue;
                string prefix = process.StandardOutput.ReadToEnd().Trim();
                process.WaitForExit();
                if (process.ExitCode == 0 && prefix.Length > 0) return prefix;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed: try the next name
            }
        }
        throw new UsageException("--sys-prefix needs python3 on PATH (the Python whose Jupyter you use); use --prefix DIR instead");
    }

    private static bool SameDirectory(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
