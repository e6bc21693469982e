namespace ModelSecurity.Federated.SecureAggregation;

/// <summary>
/// Fixed-point encoding of real-valued updates as integers modulo 2³², the ring secure aggregation computes in:
/// x ↦ round(x · scale) in two's complement. Sums of encodings, with wrap-around, decode to the sum of the rounded
/// values exactly as long as the true sum stays within ±2³¹ / scale — which <see cref="Encode"/> guarantees by
/// refusing any value above (2³¹ − 1) / (scale · summands) in magnitude.
/// </summary>
/// <remarks>
/// With the default scale 2²⁰ the resolution is 2⁻²⁰ ≈ 9.5·10⁻⁷ (each coordinate is off by at most half of that) and
/// ten clients may send values up to ±204; model updates are orders of magnitude smaller. A larger scale buys
/// precision at the cost of range.
/// </remarks>
public static class FixedPoint
{
    /// <summary>The default scale factor, 2²⁰.</summary>
    public const double DefaultScale = 1 << 20;

    /// <summary>Encodes every value as round(x · scale) mod 2³².</summary>
    /// <param name="values">The real values.</param>
    /// <param name="scale">Scale factor &gt; 0 (resolution 1/scale).</param>
    /// <param name="summands">How many encoded vectors will be added up (the number of clients).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or so large that a sum of <paramref name="summands"/> such values could wrap around.</exception>
    public static uint[] Encode(ReadOnlySpan<float> values, double scale = DefaultScale, int summands = 1)
    {
        Guard.Positive(scale, nameof(scale));
        Guard.AtLeast(summands, 1, nameof(summands));
        long limit = int.MaxValue / summands;
        var result = new uint[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double scaled = Math.Round(values[i] * scale, MidpointRounding.ToEven);
            if (!double.IsFinite(scaled) || Math.Abs(scaled) > limit)
                throw new ArgumentOutOfRangeException(nameof(values), values[i],
                    $"Value {i} ({values[i]}) does not fit the fixed-point range: with scale {scale} and {summands} summand(s), |x| must stay " +
                    $"below {limit / scale:G4} so that the sum cannot wrap around modulo 2^32. Lower the scale or clip the update.");
            result[i] = unchecked((uint)(int)(long)scaled);
        }
        return result;
    }

    /// <summary>Decodes a (sum of) encoding(s): the two's complement value divided by the scale.</summary>
    public static float[] Decode(ReadOnlySpan<uint> values, double scale = DefaultScale)
    {
        Guard.Positive(scale, nameof(scale));
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)(unchecked((int)values[i]) / scale);
        return result;
    }

    /// <summary>The signed integers of an encoding (two's complement), for inspection.</summary>
    public static int[] AsSigned(ReadOnlySpan<uint> values)
    {
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = unchecked((int)values[i]);
        return result;
    }

    /// <summary>sum ← sum + x modulo 2³², element by element.</summary>
    public static void AddInPlace(Span<uint> sum, ReadOnlySpan<uint> x)
    {
        VectorMath.CheckSameLength(sum.Length, x.Length);
        for (int i = 0; i < sum.Length; i++) sum[i] = unchecked(sum[i] + x[i]);
    }

    /// <summary>sum ← sum − x modulo 2³², element by element.</summary>
    public static void SubtractInPlace(Span<uint> sum, ReadOnlySpan<uint> x)
    {
        VectorMath.CheckSameLength(sum.Length, x.Length);
        for (int i = 0; i < sum.Length; i++) sum[i] = unchecked(sum[i] - x[i]);
    }
}
