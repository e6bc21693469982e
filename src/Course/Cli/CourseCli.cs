using System.Reflection;

namespace ModelSecurity.Cli;

/// <summary>The <c>course</c> command line: dispatches to the <see cref="ICommand"/> named by the first argument.</summary>
public static class CourseCli
{
    private static readonly Lazy<IReadOnlyList<ICommand>> AllCommands = new(() =>
        typeof(ICommand).Assembly.GetTypes()
            .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }
                        && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (ICommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList());

    /// <summary>Every command, hidden ones included.</summary>
    public static IReadOnlyList<ICommand> Commands => AllCommands.Value;

    /// <summary>Runs the CLI in this process and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help" && args.Length == 1)
        {
            (args.Length == 0 ? context.Error : context.Out).Write(Usage());
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] == "help" && args.Length == 2) args = [args[1], "--help"];

        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            context.Error.WriteLine($"course: unknown command '{args[0]}'.");
            context.Error.Write(Usage());
            return ExitCodes.Usage;
        }
        try
        {
            var parsed = ParsedArgs.Parse(args[1..], command.Options);
            if (parsed.HelpRequested)
            {
                context.Out.WriteLine(command.Help.TrimEnd());
                return ExitCodes.Ok;
            }
            return await command.RunAsync(parsed, context).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"course {command.Name}: {e.Message}");
            context.Error.WriteLine($"Try 'course {command.Name} --help'.");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine($"course {command.Name}: interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException
                                       or InvalidOperationException or ModelSecurity.Models.CheckpointMismatchException
                                       or ModelSecurity.Notebooks.Format.NotebookFormatException)
        {
            // Bad input files and arguments: the helpers' messages name the file and say what to do.
            context.Error.WriteLine($"course {command.Name}: error: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    /// <summary>The command list.</summary>
    public static string Usage()
    {
        var text = new System.Text.StringBuilder("Usage: course <command> [options]   (course <command> --help for details)\n\nCommands:\n");
        var shown = Commands.Where(c => !c.Hidden).ToList();
        int width = shown.Max(c => c.Name.Length) + 2;   // the longest name still leaves a gap before its summary
        foreach (var c in shown)
            text.Append("  ").Append(c.Name.PadRight(width)).Append(c.Summary).Append('\n');
        text.Append("\nExit codes: 0 ok, 1 a cell or grade failed, 2 bad usage or bad input file, 130 interrupted.\n");
        return text.ToString();
    }

    internal static string Version => typeof(CourseCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
}
