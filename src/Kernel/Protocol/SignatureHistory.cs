namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// Remembers the signatures of recent messages so a captured message cannot be replayed (jupyter_client's
/// <c>digest_history</c> does the same). Bounded: the oldest signatures are forgotten first.
/// </summary>
public sealed class SignatureHistory(int capacity = 1 << 16)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Records <paramref name="signature"/>; false when it was seen before (a replay).</summary>
    public bool TryAdd(string signature)
    {
        if (signature.Length == 0) return true; // unsigned messages (empty key) cannot be told apart
        // One canonical form (lower-case hex, as signed): a re-cased copy of a seen signature is a replay too.
        signature = signature.ToLowerInvariant();
        if (!_seen.Add(signature)) return false;
        _order.Enqueue(signature);
        while (_order.Count > capacity) _seen.Remove(_order.Dequeue());
        return true;
    }
}
