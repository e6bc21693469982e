using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Kernel.Execution;

/// <summary>The execute request being run: whom input requests go to, and the token an interrupt cancels.</summary>
/// <param name="Request">The <c>execute_request</c>.</param>
/// <param name="AllowStdin">Whether the front end accepts <c>input_request</c>s for it.</param>
/// <param name="Interrupt">Cancelled by <c>interrupt_request</c> (or SIGINT).</param>
/// <param name="Sink">Where the cell's outputs go.</param>
internal sealed record ActiveExecution(JupyterMessage Request, bool AllowStdin, CancellationTokenSource Interrupt, IopubOutputSink Sink);
