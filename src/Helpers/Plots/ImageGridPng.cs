using SkiaSharp;

namespace ModelSecurity.Plots;

/// <summary>One row of an image grid as pictures: its name, its images and their captions (or null).</summary>
/// <param name="Name">Row title shown at the left.</param>
/// <param name="Images">The pictures, left to right.</param>
/// <param name="Captions">One caption per picture ("\n" starts a new line), or null.</param>
public sealed record ImageGridRow(string Name, IReadOnlyList<PngImage> Images, IReadOnlyList<string>? Captions);

/// <summary>
/// Draws an image grid (title, row names at the left, pictures with captions under them) into one PNG with SkiaSharp,
/// so that hosts without HTML — and all hosts with <c>image/png</c> — show it as a real image.
/// </summary>
public static class ImageGridPng
{
    private const int Pad = 4;
    private const float CaptionSize = 11, NameSize = 12, TitleSize = 14;

    /// <summary>Renders the rows; pixel art stays sharp (nearest neighbour, no resampling).</summary>
    public static PngImage Render(string? title, IReadOnlyList<ImageGridRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0 || rows.All(r => r.Images.Count == 0))
            throw new ArgumentException("An image grid needs at least one row with an image; add rows with AddRow.", nameof(rows));
        var bitmaps = rows.Select(r => r.Images.Select(i => SKBitmap.Decode(i.Bytes)
            ?? throw new ArgumentException("An image of the grid is not a valid PNG.")).ToList()).ToList();
        try
        {
            using var typeface = SKTypeface.FromFamilyName(FigurePng.SansFont.Value) ?? SKTypeface.Default;
            using var captionFont = new SKFont(typeface, CaptionSize);
            using var nameFont = new SKFont(typeface, NameSize);
            using var titleFont = new SKFont(typeface, TitleSize) { Embolden = true };

            int columns = bitmaps.Max(r => r.Count);
            float nameWidth = rows.Max(r => nameFont.MeasureText(r.Name)) + 2 * Pad;
            var cellWidths = new float[columns];
            for (int c = 0; c < columns; c++)
                for (int r = 0; r < rows.Count; r++)
                    if (c < bitmaps[r].Count)
                    {
                        float caption = CaptionLines(rows[r], c).Select(l => captionFont.MeasureText(l)).DefaultIfEmpty(0).Max();
                        cellWidths[c] = Math.Max(cellWidths[c], Math.Max(bitmaps[r][c].Width, caption) + 2 * Pad);
                    }
            float lineHeight = captionFont.Spacing;
            var rowHeights = rows.Select((row, r) => bitmaps[r].Select((b, c) => b.Height + CaptionLines(row, c).Length * lineHeight)
                .DefaultIfEmpty(0).Max() + 2 * Pad).ToArray();
            float titleHeight = string.IsNullOrEmpty(title) ? 0 : titleFont.Spacing + 2 * Pad;
            int width = (int)Math.Ceiling(Math.Max(nameWidth + cellWidths.Sum(), string.IsNullOrEmpty(title) ? 0 : titleFont.MeasureText(title) + 2 * Pad));
            int height = (int)Math.Ceiling(titleHeight + rowHeights.Sum());

            using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                ?? throw new InvalidOperationException($"SkiaSharp could not create a {width}×{height} picture.");
            var canvas = surface.Canvas;
            canvas.Clear(SKColors.White);
            using var ink = new SKPaint { Color = new SKColor(0x1f, 0x23, 0x28), IsAntialias = true };
            if (!string.IsNullOrEmpty(title)) canvas.DrawText(title, Pad, Pad - titleFont.Metrics.Ascent, titleFont, ink);
            float y = titleHeight;
            for (int r = 0; r < rows.Count; r++)
            {
                canvas.DrawText(rows[r].Name, nameWidth - Pad, y + rowHeights[r] / 2 + NameSize / 3, SKTextAlign.Right, nameFont, ink);
                float x = nameWidth;
                for (int c = 0; c < bitmaps[r].Count; c++)
                {
                    var bitmap = bitmaps[r][c];
                    float left = x + (cellWidths[c] - bitmap.Width) / 2;
                    canvas.DrawBitmap(bitmap, left, y + Pad);
                    float lineY = y + Pad + bitmap.Height - captionFont.Metrics.Ascent;
                    foreach (string line in CaptionLines(rows[r], c))
                    {
                        canvas.DrawText(line, x + cellWidths[c] / 2, lineY, SKTextAlign.Center, captionFont, ink);
                        lineY += lineHeight;
                    }
                    x += cellWidths[c];
                }
                y += rowHeights[r];
            }
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            return new PngImage(data.ToArray(), width, height);
        }
        finally
        {
            foreach (var bitmap in bitmaps.SelectMany(b => b)) bitmap.Dispose();
        }
    }

    private static string[] CaptionLines(ImageGridRow row, int column) =>
        row.Captions is { } captions && column < captions.Count && captions[column].Length > 0 ? captions[column].Split('\n') : [];
}
