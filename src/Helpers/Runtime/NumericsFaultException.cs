namespace ModelSecurity.Runtime;

/// <summary>
/// Thrown instead of returning wrong gradients: the convolution self-test failed on this machine and no alternative
/// convolution path corrected it. The message says what was measured and what to do.
/// </summary>
public sealed class NumericsFaultException(string message) : InvalidOperationException(message);
