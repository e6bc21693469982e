namespace ModelSecurity.Data;

/// <summary>Why one mirror could not provide one MNIST file.</summary>
/// <param name="Address">The full address tried (mirror + file name).</param>
/// <param name="Reason">What went wrong, in words.</param>
/// <param name="IsNetworkError">True when the mirror could not be reached at all (name resolution, connection, timeout),
/// as opposed to an answer that was wrong (HTTP error status, checksum mismatch, missing local file).</param>
public sealed record MnistMirrorFailure(Uri Address, string Reason, bool IsNetworkError);
