namespace ModelSecurity.Cli;

/// <summary>
/// A subcommand of <c>course</c>. Every non-abstract class implementing it in this assembly is found by
/// <see cref="CourseCli"/>: adding a command is adding a file under Commands/.
/// </summary>
public interface ICommand
{
    /// <summary>The word after <c>course</c>, e.g. <c>run</c>.</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>Full help text shown by <c>course NAME --help</c>.</summary>
    string Help { get; }

    /// <summary>Hidden commands (internal plumbing) are not listed.</summary>
    bool Hidden => false;

    /// <summary>The options the command accepts (for parsing).</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the command; returns the exit code.</summary>
    Task<int> RunAsync(ParsedArgs args, CliContext context);
}
