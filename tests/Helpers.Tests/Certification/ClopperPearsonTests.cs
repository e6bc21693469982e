using ModelSecurity.Certification;

namespace ModelSecurity.Tests.Certification;

public class ClopperPearsonTests
{
    // Reference values: the α-quantile of Beta(k, n − k + 1) computed with mpmath (40 digits, bisection on betainc),
    // which is what scipy.stats.beta.ppf(α, k, n − k + 1) and statsmodels' proportion_confint(method="beta") return.
    [Theory]
    [InlineData(990, 1000, 0.001, 0.97603618715531137322)]
    [InlineData(60, 100, 0.001, 0.44098426522129928976)]
    [InlineData(99, 100, 0.001, 0.91137311129604242889)]
    [InlineData(500, 1000, 0.05, 0.47351773123569120489)]
    [InlineData(7, 10, 0.05, 0.39337578389458657844)]
    [InlineData(99990, 100000, 0.001, 0.99975867734359116249)]
    [InlineData(1, 10, 0.05, 0.0051161968918237014254)]
    [InlineData(55, 100, 0.001, 0.39214682722125530819)]
    public void LowerBoundMatchesHighPrecisionReference(long k, long n, double alpha, double expected)
    {
        double got = ClopperPearson.LowerBound(k, n, alpha);
        Assert.True(Math.Abs(got - expected) <= 1e-12 * expected, $"LowerBound({k}, {n}, {alpha}) = {got:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(100, 0.001)]
    [InlineData(100_000, 0.001)]
    [InlineData(10, 0.05)]
    public void ClosedFormsAtTheEnds(long n, double alpha)
    {
        // k = n: I_x(n, 1) = xⁿ, so the bound is α^(1/n); k = 1: I_x(1, n) = 1 − (1 − x)ⁿ, so it is 1 − (1 − α)^(1/n).
        Assert.Equal(Math.Pow(alpha, 1.0 / n), ClopperPearson.LowerBound(n, n, alpha), 14);
        Assert.Equal(1 - Math.Pow(1 - alpha, 1.0 / n), ClopperPearson.LowerBound(1, n, alpha), 14);
        Assert.Equal(0, ClopperPearson.LowerBound(0, n, alpha));
        Assert.Equal(1, ClopperPearson.UpperBound(n, n, alpha));
    }

    [Theory]
    [InlineData(3, 17, 0.01)]
    [InlineData(420, 500, 0.001)]
    [InlineData(88, 100, 0.2)]
    [InlineData(9_950, 10_000, 0.001)]
    public void LowerBoundSatisfiesTheBinomialTailIdentity(long k, long n, double alpha)
    {
        // The bound p̲ solves P(Bin(n, p̲) ≥ k) = α; the tail is summed here term by term in log space, independently of
        // the incomplete beta function.
        double p = ClopperPearson.LowerBound(k, n, alpha);
        double tail = 0;
        for (long j = k; j <= n; j++)
            tail += Math.Exp(LogChoose(n, j) + j * Math.Log(p) + (n - j) * Math.Log(1 - p));
        Assert.True(Math.Abs(tail - alpha) <= 1e-8 * alpha, $"P(Bin({n}, {p:R}) ≥ {k}) = {tail:R}, expected {alpha}");
        // And the upper bound solves P(Bin(n, p̄) ≤ k) = α.
        double q = ClopperPearson.UpperBound(k, n, alpha);
        double lowerTail = 0;
        for (long j = 0; j <= k; j++)
            lowerTail += Math.Exp(LogChoose(n, j) + j * Math.Log(q) + (n - j) * Math.Log(1 - q));
        Assert.True(Math.Abs(lowerTail - alpha) <= 1e-8 * alpha, $"P(Bin({n}, {q:R}) ≤ {k}) = {lowerTail:R}, expected {alpha}");
    }

    [Fact]
    public void IncompleteBetaMatchesReferenceValues()
    {
        // mpmath.betainc(a, b, 0, x, regularized=True), 40 digits.
        Assert.Equal(0.29675298929566637832, BetaDistribution.Cdf(0.3, 2.5, 3.5), 14);
        Assert.True(Math.Abs(BetaDistribution.Cdf(0.97, 1000, 20) / 0.016039570900909649426 - 1) < 1e-11); // log Γ of large arguments limits it to ~1e-12
        Assert.Equal(0.5, BetaDistribution.Cdf(0.5, 7, 7), 13);
        Assert.Equal(Math.Log(120), BetaDistribution.LogGamma(6), 13);
    }

    [Fact]
    public void BinomialTestOfEqualProbabilities()
    {
        // 60 of 100: scipy.stats.binomtest(60, 100, 0.5).pvalue = 0.056887933640980...
        Assert.Equal(0.05688793364098078, ClopperPearson.BinomialTestHalf(60, 100), 12);
        Assert.Equal(1, ClopperPearson.BinomialTestHalf(50, 100));
        Assert.Equal(ClopperPearson.BinomialTestHalf(40, 100), ClopperPearson.BinomialTestHalf(60, 100), 15);
        Assert.Equal(2 * Math.Pow(0.5, 20), ClopperPearson.BinomialTestHalf(20, 20), 15);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClopperPearson.LowerBound(11, 10, 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClopperPearson.LowerBound(5, 0, 0.01));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ClopperPearson.LowerBound(5, 10, 1.5));
        Assert.Contains("alpha must lie in (0, 1)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BetaDistribution.Quantile(0.5, -1, 2));
    }

    private static double LogChoose(long n, long k) =>
        BetaDistribution.LogGamma(n + 1) - BetaDistribution.LogGamma(k + 1) - BetaDistribution.LogGamma(n - k + 1);
}
