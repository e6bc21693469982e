using ModelSecurity.Cli;

// Ctrl+C requests a cooperative interruption; a second Ctrl+C ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (CtrlC.Override is { } handler)
    {
        e.Cancel = true;
        handler();
        return;
    }
    if (interrupt.IsCancellationRequested) return; // second Ctrl+C: default handling terminates
    e.Cancel = true;
    Console.Error.WriteLine("\nInterrupting (Ctrl+C again to abort immediately)...");
    interrupt.Cancel();
};

int code = await CourseCli.RunAsync(args, new CliContext(Console.Out, Console.Error, interrupt.Token));
Console.Out.Flush();
Console.Error.Flush();
// Exit explicitly: a timed-out cell may still be running on a background thread and cannot be aborted otherwise.
Environment.Exit(code);
