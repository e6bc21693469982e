namespace ModelSecurity.Plots;

/// <summary>
/// A PNG picture held in memory. Notebooks display it as <c>image/png</c>; <see cref="Save"/> writes it to disk.
/// </summary>
public sealed class PngImage
{
    /// <summary>Wraps an already encoded PNG file.</summary>
    /// <param name="bytes">The complete PNG file.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public PngImage(byte[] bytes, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), "Width and height must be positive.");
        Bytes = bytes;
        Width = width;
        Height = height;
    }

    /// <summary>The PNG file's bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>Width in pixels (after scaling).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (after scaling).</summary>
    public int Height { get; }

    /// <summary>
    /// A grayscale picture from row-major intensities in [0, 1] (0 black, 1 white; values outside are clipped, NaN is black).
    /// </summary>
    /// <param name="pixels"><paramref name="width"/> × <paramref name="height"/> values, row after row.</param>
    /// <param name="width">Width of <paramref name="pixels"/>.</param>
    /// <param name="height">Height of <paramref name="pixels"/>.</param>
    /// <param name="scale">Each pixel becomes a <paramref name="scale"/> × <paramref name="scale"/> block (nearest neighbour), e.g. 4 to see a 28×28 digit.</param>
    public static PngImage FromGray(float[] pixels, int width, int height, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckSize(pixels.Length, width, height, 1, scale);
        int w = width * scale, h = height * scale;
        var samples = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                samples[y * w + x] = ToByte(pixels[(y / scale) * width + x / scale]);
        return new PngImage(PngEncoder.Encode(samples, w, h, PngEncoder.ColorType.Gray), w, h);
    }

    /// <summary>
    /// A colour picture from values in [0, 1]. By default the layout is interleaved, row after row
    /// (r, g, b of the first pixel, then the next pixel); pass <paramref name="planar"/> for TorchSharp's channel-first
    /// layout (all red values, then all green, then all blue), as in a <c>[3, H, W]</c> tensor.
    /// </summary>
    /// <param name="pixels">3 × <paramref name="width"/> × <paramref name="height"/> values.</param>
    /// <param name="width">Width of the picture.</param>
    /// <param name="height">Height of the picture.</param>
    /// <param name="scale">Each pixel becomes a <paramref name="scale"/> × <paramref name="scale"/> block.</param>
    /// <param name="planar">True for channel-first (CHW) data, false for interleaved (HWC).</param>
    public static PngImage FromRgb(float[] pixels, int width, int height, int scale = 1, bool planar = false)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        CheckSize(pixels.Length, width, height, 3, scale);
        int w = width * scale, h = height * scale, plane = width * height;
        var samples = new byte[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int source = (y / scale) * width + x / scale;
                for (int c = 0; c < 3; c++)
                    samples[3 * (y * w + x) + c] = ToByte(planar ? pixels[c * plane + source] : pixels[3 * source + c]);
            }
        return new PngImage(PngEncoder.Encode(samples, w, h, PngEncoder.ColorType.Rgb), w, h);
    }

    /// <summary>The picture as base64 text, as notebooks store <c>image/png</c> outputs.</summary>
    public string ToBase64() => Convert.ToBase64String(Bytes);

    /// <summary>Writes the PNG file.</summary>
    /// <param name="path">Destination file; its folder must exist.</param>
    public void Save(string path) => File.WriteAllBytes(path, Bytes);

    /// <inheritdoc />
    public override string ToString() => $"PNG image {Width}×{Height}";

    private static byte ToByte(float value)
    {
        if (float.IsNaN(value) || value <= 0f) return 0;
        if (value >= 1f) return 255;
        return (byte)MathF.Round(value * 255f);
    }

    private static void CheckSize(int length, int width, int height, int channels, int scale)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"Width and height must be positive, not {width}×{height}.");
        if (scale < 1 || scale > 64)
            throw new ArgumentOutOfRangeException(nameof(scale), $"Scale must be between 1 and 64, not {scale}.");
        if (length != (long)width * height * channels)
            throw new ArgumentException(
                $"A {width}×{height} image needs {(long)width * height * channels} values ({channels} per pixel), got {length}.");
    }
}
