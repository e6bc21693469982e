namespace ModelSecurity.Plots;

/// <summary>
/// A value that knows how to show itself as HTML. Notebook front ends (the course's engine and kernel)
/// display such values as <c>text/html</c>, with <see cref="object.ToString"/> as the plain-text fallback.
/// </summary>
public interface IHtmlDisplay
{
    /// <summary>A self-contained HTML fragment (no external resources).</summary>
    string ToHtml();
}
