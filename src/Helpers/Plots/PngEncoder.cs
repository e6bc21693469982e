using System.Buffers.Binary;
using System.IO.Compression;

namespace ModelSecurity.Plots;

/// <summary>
/// A small, dependency-free PNG writer: 8-bit grayscale or RGB, no interlacing, filter type 0 on every row.
/// Compression uses <see cref="ZLibStream"/>; the chunk checksums (CRC-32) are computed here.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>PNG colour types this encoder writes.</summary>
    public enum ColorType : byte
    {
        /// <summary>One byte per pixel.</summary>
        Gray = 0,
        /// <summary>Three bytes per pixel: red, green, blue.</summary>
        Rgb = 2,
    }

    /// <summary>
    /// Encodes raw 8-bit samples, row after row (<paramref name="width"/> × channels bytes per row), as a PNG file.
    /// </summary>
    /// <param name="samples">Pixel samples, <c>width * height</c> bytes for gray, <c>3 * width * height</c> for RGB.</param>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="color">Colour type of <paramref name="samples"/>.</param>
    /// <returns>The bytes of a complete PNG file.</returns>
    public static byte[] Encode(ReadOnlySpan<byte> samples, int width, int height, ColorType color)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"A PNG needs at least 1×1 pixels, not {width}×{height}.");
        int channels = color == ColorType.Rgb ? 3 : 1;
        long rowBytes = (long)width * channels;
        if (samples.Length != rowBytes * height)
            throw new ArgumentException(
                $"Expected {rowBytes * height} samples for a {width}×{height} {color} image, got {samples.Length}.", nameof(samples));

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;              // bit depth
        header[9] = (byte)color;    // colour type
        header[10] = 0;             // compression: deflate
        header[11] = 0;             // filter method 0
        header[12] = 0;             // no interlace
        WriteChunk(output, "IHDR"u8, header);

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (int y = 0; y < height; y++)
                {
                    zlib.WriteByte(0); // filter type None
                    zlib.Write(samples.Slice((int)(y * rowBytes), (int)rowBytes));
                }
            }
            WriteChunk(output, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(output, "IEND"u8, ReadOnlySpan<byte>.Empty);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        uint crc = Crc32.Append(Crc32.Start, type);
        crc = Crc32.Append(crc, data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Finish(crc));
        output.Write(word);
    }

    /// <summary>CRC-32 as PNG (and zip, gzip) define it: polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF.</summary>
    public static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        /// <summary>The running value to start from.</summary>
        public const uint Start = 0xFFFFFFFFu;

        /// <summary>Feeds <paramref name="data"/> into a running CRC.</summary>
        public static uint Append(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (byte b in data)
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        /// <summary>Turns a running CRC into the final checksum.</summary>
        public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

        /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
        public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }
    }
}
