using ModelSecurity.Notebooks.Format;
using ModelSecurity.Plots;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Values of the helper library that render themselves (<see cref="IHtmlDisplay"/>, e.g. image grids)
/// as <c>text/html</c>, with their <see cref="object.ToString"/> as plain text.
/// </summary>
public sealed class HtmlDisplayFormatter : DisplayFormatter<IHtmlDisplay>
{
    /// <inheritdoc />
    protected override FormattedValue Format(IHtmlDisplay value, DisplayContext context) =>
        FormattedValue.Html(value.ToHtml(), value.ToString() ?? value.GetType().Name);
}
