namespace ModelSecurity.Kernel.Protocol;

/// <summary>The kernel's sockets, as the messaging protocol names them.</summary>
public enum KernelChannel
{
    /// <summary>ROUTER: execute, complete, inspect and other requests from the front ends.</summary>
    Shell,
    /// <summary>ROUTER: interrupt and shutdown, answered even while a cell runs.</summary>
    Control,
    /// <summary>ROUTER: the kernel asks a front end for input (<c>input_request</c>).</summary>
    Stdin,
    /// <summary>PUB: outputs and status to every front end.</summary>
    IoPub,
}
