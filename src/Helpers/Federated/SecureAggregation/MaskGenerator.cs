using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ModelSecurity.Federated.SecureAggregation;

/// <summary>
/// The pseudorandom generator that expands a 32-byte seed into a mask vector of uniformly distributed 32-bit words:
/// AES-256 in counter mode (block i is AES_seed(i), little-endian counter), a standard cryptographic PRG. Two clients
/// with the same seed get the same mask; without the seed the mask is indistinguishable from random.
/// </summary>
public static class MaskGenerator
{
    /// <summary>Bytes of a seed (AES-256 key).</summary>
    public const int SeedBytes = 32;

    /// <summary>The first <paramref name="length"/> words of the stream of <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static uint[] Expand(byte[] seed, int length)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != SeedBytes) throw new ArgumentException($"A mask seed has {SeedBytes} bytes; got {seed.Length}.", nameof(seed));
        Guard.AtLeast(length, 0, nameof(length));
        int blocks = (length + 3) / 4;
        var counters = new byte[blocks * 16];
        for (int b = 0; b < blocks; b++) BinaryPrimitives.WriteInt64LittleEndian(counters.AsSpan(b * 16), b);
        using var aes = Aes.Create();
        aes.Key = seed;
        byte[] stream = aes.EncryptEcb(counters, PaddingMode.None);
        var mask = new uint[length];
        for (int i = 0; i < length; i++) mask[i] = BinaryPrimitives.ReadUInt32LittleEndian(stream.AsSpan(4 * i));
        return mask;
    }
}
