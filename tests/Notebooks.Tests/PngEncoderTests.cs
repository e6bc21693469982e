using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Tests;

public class PngEncoderTests
{
    [Fact]
    public void Crc32MatchesTheStandardCheckValue() =>
        Assert.Equal(0xCBF43926u, PngEncoder.Crc32.Compute("123456789"u8));

    [Fact]
    public void GrayImageDecodesBackToTheScaledPixels()
    {
        var image = PngImage.FromGray([0f, 1f, 0.5f, -3f, float.NaN, 2f], 3, 2, scale: 2);
        Assert.Equal((6, 4), (image.Width, image.Height));
        var (width, height, colorType, samples) = Decode(image.Bytes);
        Assert.Equal((6, 4, 0), (width, height, colorType));
        byte[] row0 = [0, 0, 255, 255, 128, 128];
        byte[] row2 = [0, 0, 0, 0, 255, 255];
        Assert.Equal(row0, samples[0]);
        Assert.Equal(row0, samples[1]);
        Assert.Equal(row2, samples[2]);
    }

    [Fact]
    public void RgbImageSupportsInterleavedAndPlanarLayouts()
    {
        float[] interleaved = [1f, 0f, 0f, 0f, 0f, 1f];
        float[] planar = [1f, 0f, 0f, 0f, 0f, 1f]; // R plane, G plane, B plane of a 2×1 image
        var a = Decode(PngImage.FromRgb(interleaved, 2, 1).Bytes);
        var b = Decode(PngImage.FromRgb(planar, 2, 1, planar: true).Bytes);
        Assert.Equal(2, a.ColorType);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255 }, a.Rows[0]);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255 }, b.Rows[0]);
    }

    [Fact]
    public void WrongSizesAreExplained()
    {
        var e = Assert.Throws<ArgumentException>(() => PngImage.FromGray(new float[5], 2, 2));
        Assert.Contains("needs 4 values", e.Message);
    }

    /// <summary>A minimal PNG reader for 8-bit gray/RGB, filter 0 — it checks every chunk's CRC.</summary>
    private static (int Width, int Height, int ColorType, List<byte[]> Rows) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int pos = 8, width = 0, height = 0, colorType = 0;
        var idat = new MemoryStream();
        while (pos < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            string type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(PngEncoder.Crc32.Compute(png.AsSpan(pos + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                colorType = data[9];
            }
            else if (type == "IDAT") idat.Write(data);
            pos += 12 + length;
        }
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        zlib.CopyTo(raw);
        int channels = colorType == 2 ? 3 : 1;
        var bytes = raw.ToArray();
        var rows = new List<byte[]>();
        for (int y = 0; y < height; y++)
        {
            int start = y * (1 + width * channels);
            Assert.Equal(0, bytes[start]);
            rows.Add(bytes[(start + 1)..(start + 1 + width * channels)]);
        }
        return (width, height, colorType, rows);
    }
}
