using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary><see cref="PngImage"/> as <c>image/png</c> (base64), with its size in the output metadata.</summary>
public sealed class PngImageFormatter : DisplayFormatter<PngImage>
{
    /// <inheritdoc />
    protected override FormattedValue Format(PngImage image, DisplayContext context) =>
        new(new Dictionary<string, string> { ["image/png"] = image.ToBase64(), ["text/plain"] = image.ToString() },
            new Dictionary<string, JsonNode?> { ["image/png"] = new JsonObject { ["width"] = image.Width, ["height"] = image.Height } });
}
