namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// Decides whether an incoming message is handled: its signature must be valid (<see cref="WireCodec.Decode"/>) and,
/// when messages are signed, not seen before (<see cref="SignatureHistory"/>). Both compare the signature in one
/// canonical form — the lower-case hex that <see cref="MessageSigner.Sign"/> produces and Jupyter clients send — so a
/// signature re-cased or otherwise re-spelled is not a new message.
/// </summary>
public sealed class MessageGate(WireCodec codec, SignatureHistory? history = null)
{
    private readonly SignatureHistory _history = history ?? new SignatureHistory();

    /// <summary>The decoded message, or null and why it is dropped.</summary>
    public (JupyterMessage? Message, string? Dropped) Admit(IReadOnlyList<byte[]> frames)
    {
        JupyterMessage message;
        try
        {
            message = codec.Decode(frames);
        }
        catch (InvalidMessageException e)
        {
            return (null, e.SignatureProblem ? "invalid signature (signed with another key?)" : e.Message);
        }
        if (codec.Signer.Enabled && !_history.TryAdd(WireCodec.SignatureOf(frames) ?? ""))
            return (null, $"duplicate signature (replayed message {message.MsgType})");
        return (message, null);
    }
}
