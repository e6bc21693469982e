namespace ModelSecurity.Kernel.Protocol;

/// <summary>A received message that is dropped: malformed, or signed with another key.</summary>
public sealed class InvalidMessageException(string message, bool signatureProblem = false) : Exception(message)
{
    /// <summary>True when the signature did not match (a client with another key, or tampering).</summary>
    public bool SignatureProblem { get; } = signatureProblem;
}
