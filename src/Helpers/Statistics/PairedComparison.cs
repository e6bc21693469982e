using System.Globalization;
using ModelSecurity.Certification;

namespace ModelSecurity.Statistics;

/// <summary>
/// Two methods (models, attacks, defences) measured on the <b>same</b> points: how often each is right, and whether the
/// difference is more than the sample can explain. Pairing removes the shared difficulty of the points, so it resolves
/// differences that two separate intervals cannot (two Wilson intervals on 500 points overlap for a gap of 5 points; the
/// paired test often separates them when the methods agree on most points).
/// </summary>
/// <param name="NameA">First method.</param>
/// <param name="NameB">Second method.</param>
/// <param name="BothRight">Points where both succeed.</param>
/// <param name="OnlyA">Points where only A succeeds (discordant).</param>
/// <param name="OnlyB">Points where only B succeeds (discordant).</param>
/// <param name="BothWrong">Points where both fail.</param>
public sealed record PairedComparison(string NameA, string NameB, int BothRight, int OnlyA, int OnlyB, int BothWrong)
{
    /// <summary>Points compared.</summary>
    public int Count => BothRight + OnlyA + OnlyB + BothWrong;

    /// <summary>A's success rate.</summary>
    public double RateA => (double)(BothRight + OnlyA) / Count;

    /// <summary>B's success rate.</summary>
    public double RateB => (double)(BothRight + OnlyB) / Count;

    /// <summary>RateA − RateB.</summary>
    public double Difference => RateA - RateB;

    /// <summary>
    /// Two-sided p-value of McNemar's exact test (H₀: both methods succeed equally often): a binomial test of
    /// <see cref="OnlyA"/> among the <see cref="OnlyA"/> + <see cref="OnlyB"/> discordant points at p = ½. 1 when no point is discordant.
    /// </summary>
    public double PValue => OnlyA + OnlyB == 0 ? 1 : ClopperPearson.BinomialTestHalf(OnlyA, OnlyA + OnlyB);

    /// <summary>
    /// 95 % interval of <see cref="Difference"/> by Newcombe's method for paired proportions (Newcombe 1998, method 10:
    /// Wilson intervals of both rates, combined with the correlation of the pairs). Unlike the Wald interval it does not
    /// collapse to a point when no pair is discordant.
    /// </summary>
    public Interval DifferenceInterval => NewcombeInterval(0.05);

    /// <summary>Newcombe's interval at confidence 1 − <paramref name="alpha"/> (see <see cref="DifferenceInterval"/>).</summary>
    public Interval NewcombeInterval(double alpha)
    {
        int a = BothRight, b = OnlyA, c = OnlyB, d = BothWrong, n = Count;
        double p1 = RateA, p2 = RateB;
        var (l1, u1) = Proportion.Wilson(a + b, n, alpha);
        var (l2, u2) = Proportion.Wilson(a + c, n, alpha);
        double margins = (double)(a + b) * (c + d) * (a + c) * (b + d);
        double phi = margins == 0 ? 0 : ((double)a * d - (double)b * c) / Math.Sqrt(margins);
        double delta = p1 - p2;
        double lower = delta - Math.Sqrt(Math.Max(0, Sq(p1 - l1) - 2 * phi * (p1 - l1) * (u2 - p2) + Sq(u2 - p2)));
        double upper = delta + Math.Sqrt(Math.Max(0, Sq(p2 - l2) - 2 * phi * (p2 - l2) * (u1 - p1) + Sq(u1 - p1)));
        return new Interval(Math.Max(-1, lower), Math.Min(1, upper));
        static double Sq(double x) => x * x;
    }

    /// <summary>
    /// Compares per-point outcomes (true = success, e.g. correctly classified or robust) of two methods on the same points.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static PairedComparison Of(string nameA, IReadOnlyList<bool> successA, string nameB, IReadOnlyList<bool> successB)
    {
        ArgumentNullException.ThrowIfNull(successA);
        ArgumentNullException.ThrowIfNull(successB);
        if (successA.Count != successB.Count)
            throw new ArgumentException(
                $"A paired comparison needs both methods' outcomes on the same points: {nameA} has {successA.Count}, {nameB} has {successB.Count}.",
                nameof(successB));
        if (successA.Count == 0) throw new ArgumentException("A paired comparison needs at least one point.", nameof(successA));
        int both = 0, onlyA = 0, onlyB = 0, neither = 0;
        for (int i = 0; i < successA.Count; i++)
        {
            if (successA[i] && successB[i]) both++;
            else if (successA[i]) onlyA++;
            else if (successB[i]) onlyB++;
            else neither++;
        }
        return new PairedComparison(nameA, nameB, both, onlyA, onlyB, neither);
    }

    /// <summary>
    /// One line: both rates, the difference with its 95 % interval, the discordant counts and McNemar's p-value.
    /// </summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{NameA} {RateA:P1} vs {NameB} {RateB:P1} on the same {Count} points: difference {Difference * 100:+0.0;-0.0;0.0} points, " +
        $"95 % interval [{DifferenceInterval.Lower * 100:+0.0;-0.0;0.0}, {DifferenceInterval.Upper * 100:+0.0;-0.0;0.0}]; " +
        $"only {NameA} right on {OnlyA}, only {NameB} on {OnlyB}; McNemar exact p {(PValue < 0.001 ? "< 0.001" : $"= {PValue:0.###}")}");
}
