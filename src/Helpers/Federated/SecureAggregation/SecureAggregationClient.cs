using System.Security.Cryptography;
using System.Text;

namespace ModelSecurity.Federated.SecureAggregation;

/// <summary>
/// A client's side of pairwise-masked secure aggregation (Bonawitz et al. 2017, without the self-mask and the
/// secret sharing; see <see cref="SecureAggregationProtocol"/>). The client holds a fresh ECDH key pair on NIST P-256
/// for the round; with every peer v it agrees on a shared secret, derives the pairwise seed s_uv with HKDF-SHA256
/// (both ends get the same 32 bytes), and expands it into a mask with <see cref="MaskGenerator"/>. Its masked input is
/// y_u = x_u + Σ_{v &gt; u} PRG(s_uv) − Σ_{v &lt; u} PRG(s_uv) mod 2³²: every mask appears once with each sign across
/// the pair, so the masks cancel in Σ_u y_u.
/// </summary>
public sealed class SecureAggregationClient : IDisposable
{
    private readonly ECDiffieHellman _key;

    /// <summary>Creates the client and its key pair.</summary>
    public SecureAggregationClient(int id)
    {
        Id = id;
        _key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        PublicKey = _key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The client's id (which decides the sign of each pairwise mask).</summary>
    public int Id { get; }

    /// <summary>The public key the client advertises (X.509 SubjectPublicKeyInfo, DER).</summary>
    public byte[] PublicKey { get; }

    /// <summary>
    /// s_uv: the HKDF-SHA256 expansion of the ECDH shared secret with <paramref name="peerId"/>, bound to the round and
    /// to the (unordered) pair of ids. Both clients of a pair compute the same seed.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="peerId"/> is the client's own id.</exception>
    public byte[] PairwiseSeed(int peerId, byte[] peerPublicKey, int round)
    {
        ArgumentNullException.ThrowIfNull(peerPublicKey);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (peerId == Id) throw new ArgumentException($"Client {Id} has no pairwise seed with itself.", nameof(peerId));
        using var peer = ECDiffieHellman.Create();
        peer.ImportSubjectPublicKeyInfo(peerPublicKey, out _);
        byte[] secret = _key.DeriveRawSecretAgreement(peer.PublicKey);
        try
        {
            byte[] info = Encoding.UTF8.GetBytes($"ModelSecurity secure aggregation v1|round {round}|{Math.Min(Id, peerId)}|{Math.Max(Id, peerId)}");
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, MaskGenerator.SeedBytes, salt: [], info: info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// y_u = x_u + Σ_{v &gt; u} PRG(s_uv) − Σ_{v &lt; u} PRG(s_uv) mod 2³² over every peer in
    /// <paramref name="peerPublicKeys"/> (the client's own entry, if present, is skipped).
    /// </summary>
    public uint[] MaskInput(ReadOnlySpan<uint> input, IReadOnlyDictionary<int, byte[]> peerPublicKeys, int round)
    {
        ArgumentNullException.ThrowIfNull(peerPublicKeys);
        var masked = input.ToArray();
        foreach (var (peerId, key) in peerPublicKeys)
        {
            if (peerId == Id) continue;
            uint[] mask = MaskGenerator.Expand(PairwiseSeed(peerId, key, round), masked.Length);
            if (peerId > Id) FixedPoint.AddInPlace(masked, mask);
            else FixedPoint.SubtractInPlace(masked, mask);
        }
        return masked;
    }

    /// <summary>
    /// Dropout recovery, simplified: reveals the pairwise seed with a peer that dropped out, so that the server can
    /// remove that pair's mask from this client's masked input. (In the full protocol the survivors reveal Shamir shares
    /// of the dropped client's key instead, and no single survivor's answer suffices.)
    /// </summary>
    public byte[] RevealSeedFor(int droppedPeerId, byte[] droppedPeerPublicKey, int round) =>
        PairwiseSeed(droppedPeerId, droppedPeerPublicKey, round);

    /// <summary>Frees the key pair.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _key.Dispose();
    }

    private bool _disposed;
}
