namespace ModelSecurity.Cli;

/// <summary>Where a command writes and what interrupts it. Tests pass their own writers to run the CLI in-process.</summary>
/// <param name="Out">Standard output (results, tables).</param>
/// <param name="Error">Standard error (progress, errors).</param>
/// <param name="Interrupt">Cancelled on Ctrl+C.</param>
public sealed record CliContext(TextWriter Out, TextWriter Error, CancellationToken Interrupt)
{
    /// <summary>Standard input, for commands that read it (grade-worker reads its key there).</summary>
    public TextReader In { get; init; } = Console.In;
}

/// <summary>Exit codes of every command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A cell or a grade failed.</summary>
    public const int Failed = 1;
    /// <summary>Bad usage or bad input file.</summary>
    public const int Usage = 2;
    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Interrupted = 130;
}

/// <summary>Bad command-line usage; the message is shown with a hint to use --help. Exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
