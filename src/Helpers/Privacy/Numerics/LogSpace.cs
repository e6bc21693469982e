namespace ModelSecurity.Privacy.Numerics;

/// <summary>
/// Arithmetic on numbers stored as their logarithms (0 is −∞), and the accurate log(1 + x) and eˣ − 1 that
/// <see cref="Math"/> lacks. Privacy accounting multiplies and adds probabilities far below the smallest double.
/// </summary>
internal static class LogSpace
{
    /// <summary>log(eˣ + eʸ) without overflow or underflow.</summary>
    public static double Add(double logX, double logY)
    {
        var (a, b) = logX < logY ? (logX, logY) : (logY, logX);
        if (double.IsNegativeInfinity(a)) return b;
        return Log1P(Math.Exp(a - b)) + b;
    }

    /// <summary>log(eˣ − eʸ) for x ≥ y; −∞ when they are equal.</summary>
    /// <exception cref="ArgumentException">x &lt; y: the difference would be negative.</exception>
    public static double Subtract(double logX, double logY)
    {
        if (logX < logY)
            throw new ArgumentException($"log-space subtraction needs logX ≥ logY; got {logX} < {logY}.", nameof(logX));
        if (double.IsNegativeInfinity(logY)) return logX;
        if (logX == logY) return double.NegativeInfinity;
        return Math.Log(ExpM1(logX - logY)) + logY;
    }

    /// <summary>log(Σ exp(values[i])).</summary>
    public static double SumExp(ReadOnlySpan<double> values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max) || double.IsPositiveInfinity(max)) return max;
        var sum = 0.0;
        foreach (var v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    /// <summary>log(1 + x), accurate for small |x| (Goldberg's correction of the rounded 1 + x).</summary>
    public static double Log1P(double x)
    {
        if (double.IsPositiveInfinity(x)) return x;
        var u = 1.0 + x;
        if (u == 1.0) return x;
        if (u <= 0) return u == 0 ? double.NegativeInfinity : double.NaN;
        return Math.Log(u) * (x / (u - 1.0));
    }

    /// <summary>eˣ − 1, accurate for small |x| (Kahan's correction).</summary>
    public static double ExpM1(double x)
    {
        if (Math.Abs(x) < 1e-5) return x + x * x / 2 + x * x * x / 6;
        var u = Math.Exp(x);
        if (u == 1.0) return x;
        var um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsPositiveInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }
}
