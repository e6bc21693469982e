namespace ModelSecurity.Models;

/// <summary>
/// A checkpoint is sound but holds weights for a different model than the one they are being loaded into:
/// another architecture, or the same one with other sizes (e.g. number of classes).
/// </summary>
public sealed class CheckpointMismatchException : Exception
{
    /// <summary>Creates the exception with a message saying what differs.</summary>
    public CheckpointMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that revealed the mismatch.</summary>
    public CheckpointMismatchException(string message, Exception innerException) : base(message, innerException) { }
}
