using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Privacy.Accounting.Pld;

/// <summary>
/// A discretised privacy loss distribution: probability <c>Probabilities[i]</c> at privacy loss
/// (<see cref="LowerIndex"/> + i) · <see cref="Interval"/>, plus <see cref="InfinityMass"/> at +∞.
/// </summary>
/// <remarks>
/// For a pair of output distributions (P, Q) the privacy loss is L = log(P(o)/Q(o)) with o ∼ P, and the
/// hockey-stick divergence is δ(ε) = P[L = ∞] + E[(1 − e^(ε − L))₊]. Composition of mechanisms is the sum of
/// independent losses, i.e. the convolution of their distributions, done here with FFTs. Every truncation moves
/// mass to a larger loss (the lower tail onto the smallest kept loss, the upper tail to +∞), so δ(ε) computed from
/// the result can only grow: the accountant stays an upper bound (up to floating-point round-off).
/// </remarks>
internal sealed class PldPmf
{
    public PldPmf(double interval, long lowerIndex, double[] probabilities, double infinityMass)
    {
        Interval = interval;
        LowerIndex = lowerIndex;
        Probabilities = probabilities;
        InfinityMass = Math.Min(1.0, Math.Max(0.0, infinityMass));
    }

    /// <summary>Largest grid an FFT may use (2²⁶ points: two arrays of 512 MiB).</summary>
    public const int MaxPoints = 1 << 26;

    public double Interval { get; }

    public long LowerIndex { get; }

    public double[] Probabilities { get; }

    public double InfinityMass { get; }

    public double Loss(int i) => (LowerIndex + i) * Interval;

    /// <summary>δ(ε) = P[L = ∞] + Σ_{L &gt; ε} p(L) (1 − e^(ε − L)).</summary>
    public double DeltaForEpsilon(double epsilon)
    {
        var delta = InfinityMass;
        for (var i = Probabilities.Length - 1; i >= 0; i--)
        {
            var loss = Loss(i);
            if (loss <= epsilon) break;
            delta += -LogSpace.ExpM1(epsilon - loss) * Probabilities[i];
        }
        return Math.Min(1.0, Math.Max(0.0, delta));
    }

    /// <summary>
    /// The smallest ε ≥ 0 with δ(ε) ≤ <paramref name="delta"/> (+∞ if the mass at +∞ alone exceeds δ). On each
    /// interval between consecutive losses δ(ε) = U − e^ε W with U = P[L &gt; ε], W = E[e^−L; L &gt; ε], so ε is solved
    /// exactly as log((U − δ)/W), scanning the losses from the top.
    /// </summary>
    public double EpsilonForDelta(double delta)
    {
        if (InfinityMass > delta) return double.PositiveInfinity;
        double upper = InfinityMass, lower = 0;
        for (var i = Probabilities.Length - 1; i >= 0; i--)
        {
            var loss = Loss(i);
            if (upper > delta && lower > 0 && Math.Log((upper - delta) / lower) >= loss) break;
            upper += Probabilities[i];
            lower += Math.Exp(-loss) * Probabilities[i];
            if (upper >= delta && lower == 0) return Math.Max(0, loss); // e^−L underflowed: L is huge
        }
        if (upper <= lower + delta) return 0;
        return Math.Log((upper - delta) / lower);
    }

    /// <summary>The distribution of the sum of independent losses from this and <paramref name="other"/>, tails truncated.</summary>
    public PldPmf Compose(PldPmf other, double tailMassTruncation)
    {
        if (other.Interval != Interval) throw new InvalidOperationException("privacy loss distributions with different discretisation intervals cannot be composed.");
        if ((long)Probabilities.Length + other.Probabilities.Length > MaxPoints)
            throw new InvalidOperationException($"composing needs more than {MaxPoints} privacy-loss points; use a larger discretisation interval (now {Interval}).");
        var probabilities = Fft.Convolve(Probabilities, other.Probabilities);
        ClampNegatives(probabilities);
        var infinity = InfinityMass + other.InfinityMass - InfinityMass * other.InfinityMass;
        return Truncated(Interval, LowerIndex + other.LowerIndex, probabilities, infinity, tailMassTruncation);
    }

    /// <summary>
    /// The <paramref name="times"/>-fold composition with itself. The result is computed on a window of losses that
    /// Chernoff bounds show to hold all but <paramref name="tailMassTruncation"/> of the mass (a circular FFT of that
    /// length); that bound is added to the mass at +∞, which keeps δ(ε) an upper bound.
    /// </summary>
    public PldPmf SelfCompose(int times, double tailMassTruncation)
    {
        if (times == 1) return this;
        var n = Probabilities.Length;
        var (lo, hi) = SelfComposeBounds(Probabilities, times, tailMassTruncation);
        var outLength = hi - lo + 1;
        if (Math.Max(outLength, n) > MaxPoints)
            throw new InvalidOperationException(
                $"composing {times} steps needs {Math.Max(outLength, n)} privacy-loss points (at most {MaxPoints}); use a larger discretisation interval (now {Interval}).");
        var fftLength = Fft.NextPowerOfTwo(Math.Max(outLength, n));
        var circular = Fft.CircularSelfConvolve(Probabilities, times, fftLength);
        var result = new double[outLength];
        for (long j = 0; j < outLength; j++)
        {
            var index = (int)(((lo + j) % fftLength + fftLength) % fftLength);
            result[j] = Math.Max(0, circular[index]);
        }
        var infinity = tailMassTruncation - LogSpace.ExpM1(times * LogSpace.Log1P(-InfinityMass));
        return new PldPmf(Interval, LowerIndex * times + lo, result, infinity);
    }

    /// <summary>
    /// Index bounds [lo, hi] (relative to the n-fold lowest index) outside which the n-fold sum has mass at most τ:
    /// P[S ≥ a] ≤ e^(n log M(t) − t a) for t &gt; 0 and the mirror image for t &lt; 0, each side given τ/2.
    /// </summary>
    internal static (long Lo, long Hi) SelfComposeBounds(double[] probabilities, int times, double tailMassTruncation)
    {
        var n = probabilities.Length;
        long lo = 0, hi = (long)(n - 1) * times;
        if (tailMassTruncation <= 0) return (lo, hi);
        int[] multiples = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 25, 30, 40, 50, 70, 100, 150, 200, 300, 500, 1000];
        var logProbabilities = new double[n];
        for (var i = 0; i < n; i++) logProbabilities[i] = probabilities[i] > 0 ? Math.Log(probabilities[i]) : double.NegativeInfinity;
        var terms = new double[n];
        var logTwoOverTau = Math.Log(2 / tailMassTruncation);
        foreach (var sign in new[] { 1.0, -1.0 })
        {
            foreach (var m in multiples)
            {
                var t = sign * m / n;
                for (var i = 0; i < n; i++) terms[i] = logProbabilities[i] + i * t;
                var logMgf = LogSpace.SumExp(terms);
                var bound = (times * logMgf + logTwoOverTau) / t;
                if (!double.IsFinite(bound)) continue;
                if (t > 0) hi = Math.Min(hi, (long)Math.Ceiling(bound));
                else lo = Math.Max(lo, (long)Math.Floor(bound));
            }
        }
        if (hi < lo) hi = lo;
        return (lo, hi);
    }

    /// <summary>Drops the longest prefix and suffix of mass ≤ τ/2 each: the prefix onto the first kept loss, the suffix to +∞.</summary>
    internal static PldPmf Truncated(double interval, long lowerIndex, double[] probabilities, double infinityMass, double tailMassTruncation)
    {
        if (tailMassTruncation <= 0) return new PldPmf(interval, lowerIndex, probabilities, infinityMass);
        var half = tailMassTruncation / 2;
        int left = 0, right = probabilities.Length;
        double leftMass = 0, rightMass = 0;
        while (left < probabilities.Length && leftMass + probabilities[left] <= half) leftMass += probabilities[left++];
        while (right > left + 1 && rightMass + probabilities[right - 1] <= half) rightMass += probabilities[--right];
        if (left >= right)
        {
            left = Math.Max(0, right - 1);
            leftMass = probabilities[..left].Sum();
        }
        var kept = probabilities[left..right];
        kept[0] += leftMass;
        return new PldPmf(interval, lowerIndex + left, kept, infinityMass + rightMass);
    }

    private static void ClampNegatives(double[] values)
    {
        for (var i = 0; i < values.Length; i++)
            if (values[i] < 0) values[i] = 0;
    }
}
