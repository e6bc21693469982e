using static TorchSharp.torch;

namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>
/// A mechanism that releases a value plus independent noise per coordinate (Laplace, Gaussian). Subclasses say how to
/// draw one noise value; this class applies it to numbers, vectors and tensors, always from the same seeded
/// <see cref="Random"/>, so releases are reproducible and do not depend on TorchSharp's generator.
/// </summary>
public abstract class AdditiveNoiseMechanism
{
    /// <summary>Creates the mechanism drawing its noise from <paramref name="random"/>.</summary>
    /// <param name="random">Source of randomness; pass a seeded <see cref="Random"/> for reproducible noise.</param>
    protected AdditiveNoiseMechanism(Random random) => Random = random ?? throw new ArgumentNullException(nameof(random));

    /// <summary>The source of randomness.</summary>
    protected Random Random { get; }

    /// <summary>Draws one noise value.</summary>
    protected abstract double SampleNoise();

    /// <summary>Releases <paramref name="value"/> plus one draw of noise.</summary>
    public double Apply(double value) => value + SampleNoise();

    /// <summary>Releases every coordinate plus independent noise (the sensitivity is that of the whole vector).</summary>
    public double[] Apply(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new double[values.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Apply(values[i]);
        return result;
    }

    /// <summary>Releases every coordinate plus independent noise (an exact match for arrays, which TorchSharp could also convert to a tensor).</summary>
    public double[] Apply(double[] values) => Apply((IReadOnlyList<double>)values);

    /// <summary>Releases a tensor plus independent noise per element. Returns a new tensor of the input's type and device.</summary>
    public Tensor Apply(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var noise = new double[values.numel()];
        for (var i = 0; i < noise.Length; i++) noise[i] = SampleNoise();
        using var noiseTensor = tensor(noise, dtype: ScalarType.Float64).reshape(values.shape);
        using var typed = noiseTensor.to(values.dtype, values.device);
        return values + typed;
    }
}
