using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// The wire format: <c>[identities…, "&lt;IDS|MSG&gt;", signature, header, parent_header, metadata, content, buffers…]</c>,
/// each JSON part UTF-8, the signature over the four JSON frames.
/// </summary>
public sealed class WireCodec(MessageSigner signer)
{
    /// <summary>The frame that separates routing identities from the message.</summary>
    public static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The signer used for both directions.</summary>
    public MessageSigner Signer => signer;

    /// <summary>Frames of <paramref name="message"/>, signed.</summary>
    public List<byte[]> Encode(JupyterMessage message)
    {
        var parts = new List<byte[]>(4)
        {
            Json(message.Header), Json(message.ParentHeader), Json(message.Metadata), Json(message.Content),
        };
        var frames = new List<byte[]>(message.Identities.Count + 6 + message.Buffers.Count);
        frames.AddRange(message.Identities);
        frames.Add(Delimiter);
        frames.Add(Encoding.ASCII.GetBytes(signer.Sign(parts)));
        frames.AddRange(parts);
        frames.AddRange(message.Buffers);
        return frames;
    }

    /// <summary>Reads frames into a message after checking the signature.</summary>
    /// <exception cref="InvalidMessageException">No delimiter, too few frames, JSON that is not an object, or a bad signature.</exception>
    public JupyterMessage Decode(IReadOnlyList<byte[]> frames)
    {
        int delimiter = -1;
        for (int i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { delimiter = i; break; }
        if (delimiter < 0) throw new InvalidMessageException("no <IDS|MSG> delimiter");
        if (frames.Count < delimiter + 6) throw new InvalidMessageException($"{frames.Count - delimiter - 1} frames after the delimiter, expected at least 5");
        string signature = Encoding.ASCII.GetString(frames[delimiter + 1]);
        var parts = new[] { frames[delimiter + 2], frames[delimiter + 3], frames[delimiter + 4], frames[delimiter + 5] };
        if (!signer.Verify(signature, parts)) throw new InvalidMessageException("bad signature", signatureProblem: true);
        var identities = frames.Take(delimiter).ToList();
        var buffers = frames.Skip(delimiter + 6).ToList();
        return new JupyterMessage(identities, Object(parts[0], "header"), Object(parts[1], "parent_header"),
            Object(parts[2], "metadata"), Object(parts[3], "content"), buffers);
    }

    /// <summary>The signature frame of raw frames (for replay checks), or null without a delimiter.</summary>
    public static string? SignatureOf(IReadOnlyList<byte[]> frames)
    {
        for (int i = 0; i + 1 < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) return Encoding.ASCII.GetString(frames[i + 1]);
        return null;
    }

    private static byte[] Json(JsonObject node) => JsonSerializer.SerializeToUtf8Bytes(node, Compact);

    private static JsonObject Object(byte[] bytes, string what)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new InvalidMessageException($"{what} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidMessageException($"{what} is not valid JSON: {e.Message}");
        }
    }
}
