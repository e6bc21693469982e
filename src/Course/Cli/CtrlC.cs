namespace ModelSecurity.Cli;

/// <summary>
/// What Ctrl+C (SIGINT) does. By default the first press interrupts the command and a second one ends the process
/// (Program.cs). A long-lived command can take it over: the Jupyter kernel makes every SIGINT interrupt the running
/// cell only, as Jupyter's <c>interrupt_mode: signal</c> expects.
/// </summary>
public static class CtrlC
{
    /// <summary>When set, called on each Ctrl+C instead of the default handling.</summary>
    public static Action? Override { get; set; }
}
