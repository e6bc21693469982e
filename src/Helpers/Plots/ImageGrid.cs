using System.Net;
using System.Text;
using static TorchSharp.torch;

namespace ModelSecurity.Plots;

/// <summary>
/// Rows of small images with captions — clean images, their adversarial versions, the perturbations — shown
/// in a notebook as one PNG (<see cref="ToPng"/>: a real image every host shows), or as an HTML table of embedded PNGs.
/// </summary>
public sealed class ImageGrid : IPngDisplay
{
    private readonly List<Row> _rows = new();

    /// <summary>Creates an empty grid; add rows with <see cref="AddRow"/>.</summary>
    /// <param name="title">Heading shown above the grid.</param>
    /// <param name="scale">Each pixel becomes a scale × scale block (3 makes 28×28 images 84×84).</param>
    public ImageGrid(string? title = null, int scale = 3)
    {
        Title = title;
        Scale = Guard.AtLeast(scale, 1, nameof(scale));
    }

    /// <summary>Heading shown above the grid.</summary>
    public string? Title { get; }

    /// <summary>Pixel magnification.</summary>
    public int Scale { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>
    /// Adds a row of images from a batch (N, 1, H, W) or (N, 3, H, W).
    /// </summary>
    /// <param name="name">Row title, e.g. "adversarial".</param>
    /// <param name="images">Values in [0, 1]; or, with <paramref name="signed"/>, perturbations centred on 0.</param>
    /// <param name="captions">One caption per image (e.g. "Coat (97%)"), or null; "\n" starts a new line (e.g. "Coat\n→ Shirt 52%").</param>
    /// <param name="signed">Show signed values: 0 is mid-grey, the largest magnitude in the row is black or white.</param>
    public ImageGrid AddRow(string name, Tensor images, IReadOnlyList<string>? captions = null, bool signed = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4 || (images.shape[1] != 1 && images.shape[1] != 3))
            throw new ArgumentException($"ImageGrid rows take a batch shaped (N, 1, H, W) or (N, 3, H, W); got {Guard.Shape(images)}.", nameof(images));
        if (captions != null && captions.Count != images.shape[0])
            throw new ArgumentException($"{captions.Count} captions for {images.shape[0]} images.", nameof(captions));

        using var scope = NewDisposeScope();
        var values = images.detach().cpu().to_type(ScalarType.Float32);
        if (signed)
        {
            double peak = Math.Max(values.abs().max().item<float>(), 1e-12);
            values = values / (2 * peak) + 0.5;
        }
        int count = (int)values.shape[0], channels = (int)values.shape[1], height = (int)values.shape[2], width = (int)values.shape[3];
        var pictures = new List<PngImage>(count);
        for (int i = 0; i < count; i++)
        {
            float[] pixels = values[i].contiguous().data<float>().ToArray();
            pictures.Add(channels == 1
                ? PngImage.FromGray(pixels, width, height, Scale)
                : PngImage.FromRgb(pixels, width, height, Scale, planar: true));
        }
        _rows.Add(new Row(name, pictures, captions?.ToArray()));
        return this;
    }

    /// <inheritdoc />
    public PngImage ToPng() =>
        ImageGridPng.Render(Title, _rows.Select(r => new ImageGridRow(r.Name, r.Images, r.Captions)).ToList());

    /// <summary>Writes the grid as one PNG file.</summary>
    public void SavePng(string path) => ToPng().Save(path);

    /// <summary>The grid as an HTML table of embedded PNGs (no external resources).</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<div class=\"course-image-grid\">");
        if (Title != null) html.Append("<div style=\"font-weight:bold;margin:4px 0\">").Append(WebUtility.HtmlEncode(Title)).Append("</div>");
        html.Append("<table style=\"border-collapse:collapse\">");
        foreach (var row in _rows)
        {
            html.Append("<tr><th style=\"text-align:right;padding:2px 6px;vertical-align:middle\">")
                .Append(WebUtility.HtmlEncode(row.Name)).Append("</th>");
            for (int i = 0; i < row.Images.Count; i++)
            {
                var image = row.Images[i];
                html.Append("<td style=\"padding:2px;text-align:center;font-size:11px\">")
                    .Append("<img src=\"data:image/png;base64,").Append(image.ToBase64())
                    .Append("\" width=\"").Append(image.Width).Append("\" height=\"").Append(image.Height)
                    .Append("\" style=\"image-rendering:pixelated\"/>");
                if (row.Captions != null)
                    html.Append("<br/>").Append(WebUtility.HtmlEncode(row.Captions[i]).Replace("\n", "<br/>"));
                html.Append("</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</table></div>");
        return html.ToString();
    }

    /// <summary>Writes a standalone HTML page with the grid.</summary>
    public void SaveHtml(string path) =>
        File.WriteAllText(path, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + ToHtml() + "</body></html>");

    /// <inheritdoc />
    public override string ToString() => Describe(Title, _rows.Select(r => new ImageGridRow(r.Name, r.Images, r.Captions)).ToList());

    /// <summary>The plain-text form of a grid: title, and per row its name, image count and captions (what a screen reader reads).</summary>
    public static string Describe(string? title, IReadOnlyList<ImageGridRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return $"ImageGrid{(title is null ? "" : $" \"{title}\"")}: " + string.Join("; ", rows.Select(r =>
            $"{r.Name} ({r.Images.Count} images{(r.Captions is { Count: > 0 } c ? ": " + string.Join(" | ", c.Select(x => x.Replace('\n', ' '))) : "")})"));
    }

    private sealed record Row(string Name, IReadOnlyList<PngImage> Images, string[]? Captions);
}
