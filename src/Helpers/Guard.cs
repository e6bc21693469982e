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

    /// <summary>A Poisson sampling rate q in (0, 1] (batch size / dataset size).</summary>
    public static double SampleRate(double value, string name = "sampleRate")
    {
        if (double.IsNaN(value) || value <= 0 || value > 1)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must lie in (0, 1] (the probability that an example is in a batch, e.g. batch size / dataset size); got {value}.");
        return value;
    }

    /// <summary>A noise multiplier σ (noise standard deviation / L2 sensitivity): finite and &gt; 0.</summary>
    public static double NoiseMultiplier(double value, string name = "noiseMultiplier")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be a finite number > 0 (noise standard deviation divided by the L2 sensitivity), e.g. 1.1; got {value}.");
        return value;
    }

    /// <summary>A target δ of (ε, δ)-differential privacy, in the open interval (0, 1).</summary>
    public static double Delta(double value, string name = "delta")
    {
        if (double.IsNaN(value) || value <= 0 || value >= 1)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must lie in (0, 1), typically below 1/(dataset size), e.g. 1e-5; got {value}.");
        return value;
    }

    /// <summary>The δ of a mechanism's own guarantee, in [0, 1) (0 for pure ε-DP).</summary>
    public static double MechanismDelta(double value, string name = "delta")
    {
        if (double.IsNaN(value) || value < 0 || value >= 1)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must lie in [0, 1) (0 for pure ε-differential privacy); got {value}.");
        return value;
    }

    /// <summary>A privacy budget ε of differential privacy: finite and &gt; 0.</summary>
    public static double PrivacyEpsilon(double value, string name = "epsilon")
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be a finite number > 0 (the privacy budget of differential privacy), e.g. 1.0; got {value}.");
        return value;
    }

    /// <summary>A number of steps (compositions) ≥ 1.</summary>
    public static int Steps(int value, string name = "steps")
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1 (the number of mechanism invocations); got {value}.");
        return value;
    }

    /// <summary>Shape as "(a, b, c)" for messages.</summary>
    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
