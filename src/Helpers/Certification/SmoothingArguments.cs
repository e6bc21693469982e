using static TorchSharp.torch;

namespace ModelSecurity.Certification;

/// <summary>Argument checks of randomized smoothing, each with a message that says what to do.</summary>
internal static class SmoothingArguments
{
    /// <summary>A noise level σ: finite and &gt; 0.</summary>
    public static double Sigma(double value, string name = "sigma")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be a finite number > 0: the standard deviation of the Gaussian noise in pixel units, e.g. 0.25 or 0.5; got {value}.");
        return value;
    }

    /// <summary>A confidence parameter α in (0, 1).</summary>
    public static double Alpha(double value, string name = "alpha")
    {
        if (double.IsNaN(value) || value <= 0 || value >= 1)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must lie in (0, 1): the probability that the answer is wrong, e.g. 0.001 (Cohen et al.); got {value}.");
        return value;
    }

    /// <summary>One image: (C, H, W) or a batch of one (1, C, H, W); returns it as (1, C, H, W).</summary>
    public static Tensor SingleImage(Tensor image, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(image, name);
        if (image.ndim == 4 && image.shape[0] == 1) return image;
        if (image.ndim == 3) return image.unsqueeze(0);
        throw new ArgumentException(
            $"Randomized smoothing classifies one image at a time: pass it shaped (C, H, W) or (1, C, H, W); got {Guard.Shape(image)}. " +
            "For a data set use CertifyAll.", name);
    }
}
