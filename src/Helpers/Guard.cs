using static TorchSharp.torch;

namespace ModelSecurity;

/// <summary>Argument checks shared by the helpers, each with a message that says what to do.</summary>
internal static class Guard
{
    /// <summary>A perturbation budget: finite and ≥ 0 (in pixel units, images in [0, 1]).</summary>
    public static double Epsilon(double value, string name = "epsilon")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be a finite number ≥ 0 in pixel units (images lie in [0, 1]), e.g. 0.1; got {value}.");
        return value;
    }

    /// <summary>A strictly positive finite number (step sizes, learning rates, constants).</summary>
    public static double Positive(double value, string name)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0; got {value}.");
        return value;
    }

    /// <summary>A finite number ≥ 0.</summary>
    public static double NonNegative(double value, string name)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0; got {value}.");
        return value;
    }

    /// <summary>A count ≥ <paramref name="minimum"/>.</summary>
    public static int AtLeast(int value, int minimum, string name)
    {
        if (value < minimum)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {minimum}; got {value}.");
        return value;
    }

    /// <summary>Shape as "(a, b, c)" for messages.</summary>
    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
