namespace ModelSecurity.Plots;

/// <summary>
/// A value that shows itself as a picture. Notebook front ends display it as <c>image/png</c>, with
/// <see cref="object.ToString"/> as the plain-text fallback (what text-only front ends and screen readers get).
/// </summary>
public interface IPngDisplay
{
    /// <summary>The picture.</summary>
    PngImage ToPng();
}
