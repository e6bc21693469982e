using System.Security.Cryptography;
using System.Text;

namespace ModelSecurity.Kernel.Protocol;

/// <summary>
/// Signs and checks messages: HMAC-SHA256 under the connection file's key over the header, parent header,
/// metadata and content frames, as lowercase hex. An empty key turns signing off (empty signature, no check).
/// </summary>
public sealed class MessageSigner
{
    private readonly byte[] _key;

    /// <summary>Creates a signer for <paramref name="key"/> (the connection file's <c>key</c>, used as UTF-8 bytes).</summary>
    public MessageSigner(string key) => _key = Encoding.UTF8.GetBytes(key);

    /// <summary>True when messages are signed (the key is not empty).</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>The signature of the four frames, or an empty string without a key.</summary>
    public string Sign(IReadOnlyList<byte[]> parts)
    {
        if (!Enabled) return "";
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        foreach (byte[] part in parts) hmac.AppendData(part);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    /// <summary>
    /// True when <paramref name="signature"/> is the frames' signature exactly as <see cref="Sign"/> writes it, lower-case
    /// hex (compared in constant time; jupyter_client compares the same way); always true without a key. Accepting other
    /// spellings would let one signed message pass under several signatures, past the replay history.
    /// </summary>
    public bool Verify(string signature, IReadOnlyList<byte[]> parts)
    {
        if (!Enabled) return true;
        byte[] expected = Encoding.ASCII.GetBytes(Sign(parts));
        byte[] actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
