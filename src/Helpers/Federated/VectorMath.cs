namespace ModelSecurity.Federated;

/// <summary>Arithmetic on flat parameter vectors, accumulated in double precision.</summary>
internal static class VectorMath
{
    /// <summary>a − b, element by element.</summary>
    public static float[] Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckSameLength(a.Length, b.Length);
        var result = new float[a.Length];
        for (int i = 0; i < result.Length; i++) result[i] = a[i] - b[i];
        return result;
    }

    /// <summary>w + η·Δ, rounded once to float.</summary>
    public static float[] AddScaled(ReadOnlySpan<float> w, ReadOnlySpan<double> delta, double eta)
    {
        CheckSameLength(w.Length, delta.Length);
        var result = new float[w.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)(w[i] + eta * delta[i]);
        return result;
    }

    /// <summary>Σ_k weight_k · vector_k in double precision.</summary>
    public static double[] WeightedSum(IReadOnlyList<float[]> vectors, IReadOnlyList<double> weights, int length)
    {
        var sum = new double[length];
        for (int k = 0; k < vectors.Count; k++)
        {
            float[] v = vectors[k];
            double weight = weights[k];
            for (int i = 0; i < length; i++) sum[i] += weight * v[i];
        }
        return sum;
    }

    /// <summary>Euclidean norm ‖v‖₂.</summary>
    public static double Norm(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v) sum += (double)x * x;
        return Math.Sqrt(sum);
    }

    /// <summary>‖a − b‖₂².</summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Multiplies every element by <paramref name="factor"/> in place.</summary>
    public static void Scale(Span<float> v, double factor)
    {
        for (int i = 0; i < v.Length; i++) v[i] = (float)(v[i] * factor);
    }

    public static void CheckSameLength(int expected, int actual, string what = "vector")
    {
        if (expected != actual)
            throw new ArgumentException($"Every {what} must have the same length; expected {expected} values, got {actual}.");
    }
}
