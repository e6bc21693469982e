namespace ModelSecurity.Runtime;

/// <summary>
/// Cooperative interruption for long-running helper loops (training, attacks). The notebook engine sets
/// <see cref="Token"/> before running cells and cancels it when the user presses Ctrl+C; loops call
/// <see cref="ThrowIfRequested"/> once per batch or step so that the run stops cleanly.
/// </summary>
public static class Interruption
{
    private static CancellationToken _token;

    /// <summary>The token that signals an interruption request. Default: <see cref="CancellationToken.None"/>.</summary>
    public static CancellationToken Token
    {
        get { lock (Gate) return _token; }
        set { lock (Gate) _token = value; }
    }

    /// <summary>True once an interruption has been requested.</summary>
    public static bool IsRequested => Token.IsCancellationRequested;

    /// <summary>Throws <see cref="OperationCanceledException"/> when an interruption has been requested.</summary>
    public static void ThrowIfRequested()
    {
        var token = Token;
        if (token.IsCancellationRequested)
            throw new OperationCanceledException("Interrupted (Ctrl+C).", token);
    }

    private static readonly object Gate = new();
}
