using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Values that draw themselves (<see cref="IPngDisplay"/>, e.g. image grids) as a real <c>image/png</c> output, with their
/// <see cref="object.ToString"/> (row names and captions) as <c>text/plain</c>.
/// </summary>
public sealed class PngDisplayFormatter : DisplayFormatter<IPngDisplay>
{
    /// <inheritdoc />
    protected override FormattedValue Format(IPngDisplay value, DisplayContext context)
    {
        var png = value.ToPng();
        return new FormattedValue(
            new Dictionary<string, string> { ["image/png"] = png.ToBase64(), ["text/plain"] = value.ToString() ?? value.GetType().Name },
            new Dictionary<string, JsonNode?> { ["image/png"] = new JsonObject { ["width"] = png.Width, ["height"] = png.Height } });
    }
}
