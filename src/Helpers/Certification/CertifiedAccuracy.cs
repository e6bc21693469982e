using ModelSecurity.Plots;

namespace ModelSecurity.Certification;

/// <summary>
/// Certified accuracy at radius r: the fraction of test images whose certified prediction is correct with a certified
/// radius of at least r (Cohen et al., figure 7 and tables). At r = 0 it is the smoothed classifier's clean accuracy
/// (abstentions count as errors); it can only fall as r grows.
/// </summary>
public static class CertifiedAccuracy
{
    /// <summary>Certified accuracy at <paramref name="radius"/>.</summary>
    public static double At(IReadOnlyList<LabelledCertificate> results, double radius)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0) throw new ArgumentException("No certificates: certify at least one image.", nameof(results));
        Guard.NonNegative(radius, nameof(radius));
        return results.Count(r => r.Correct && r.Certificate.Radius >= radius) / (double)results.Count;
    }

    /// <summary>Certified accuracy at each radius of <paramref name="radii"/>.</summary>
    public static IReadOnlyList<double> Curve(IReadOnlyList<LabelledCertificate> results, IReadOnlyList<double> radii)
    {
        ArgumentNullException.ThrowIfNull(radii);
        return radii.Select(r => At(results, r)).ToList();
    }

    /// <summary>Evenly spaced radii 0, step, 2·step, … up to <paramref name="max"/>.</summary>
    public static IReadOnlyList<double> Radii(double max, double step)
    {
        Guard.NonNegative(max, nameof(max));
        Guard.Positive(step, nameof(step));
        int count = (int)Math.Floor(max / step + 1e-9) + 1;
        return Enumerable.Range(0, count).Select(i => i * step).ToList();
    }

    /// <summary>One curve per noise level, e.g. { "σ = 0.25" → certificates, "σ = 0.5" → … }, as a line chart.</summary>
    public static Figure Chart(IReadOnlyDictionary<string, IReadOnlyList<LabelledCertificate>> curves, double maxRadius, double step = 0.05,
                                     string title = "Certified accuracy vs L2 radius")
    {
        ArgumentNullException.ThrowIfNull(curves);
        var radii = Radii(maxRadius, step);
        return Charts.Lines(title, "L2 radius r (pixel units)", "certified accuracy",
            curves.Select(c => new Series(c.Key, radii, Curve(c.Value, radii))), yAsPercent: true);
    }
}
