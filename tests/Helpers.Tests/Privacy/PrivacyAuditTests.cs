using ModelSecurity.Privacy;
using ModelSecurity.Statistics;

namespace ModelSecurity.Tests.Privacy;

public class PrivacyAuditTests
{
    [Fact]
    public void APerfectTestOnAHundredOfEachProvesOnlyAboutThreePointThree()
    {
        // No false positive and no false negative: both one-sided upper bounds (α/2 = 0.025 each) are 1 − 0.025^(1/100) = 0.0362167,
        // so ε ≥ ln((1 − 0.0362167)/0.0362167) = ln(26.6113) = 3.281346 (δ = 0), by hand.
        double bound = PrivacyAudit.EpsilonLowerBound(100, 100, 0, 100, delta: 0, alpha: 0.05);
        Assert.Equal(3.281346, bound, 1e-5);
        Assert.True(double.IsPositiveInfinity(PrivacyAudit.PointEstimate(100, 100, 0, 100, 0)), "the uncorrected formula claims ε = ∞ here");
    }

    [Fact]
    public void MatchesClopperPearsonBoundsComputedIndependently()
    {
        // 90 of 100 members and 5 of 100 non-members flagged, δ = 1e-5, 95 %: FPR̄ = 0.112835, FNR̄ = 0.176223 (binomial CDF
        // inverted by bisection in Python, math.comb), ε ≥ ln((1 − δ − FNR̄)/FPR̄) = 1.987962.
        Assert.Equal(1.987962, PrivacyAudit.EpsilonLowerBound(90, 100, 5, 100, 1e-5, 0.05), 1e-5);
        // 250 of 500 and 10 of 500: ln((1 − δ − 0.544714)/0.036472) = 2.524347; the point estimate ln(0.5/0.02) = 3.21886 is larger.
        Assert.Equal(2.524347, PrivacyAudit.EpsilonLowerBound(250, 500, 10, 500, 1e-5, 0.05), 1e-5);
        Assert.Equal(Math.Log((0.5 - 1e-5) / 0.02), PrivacyAudit.PointEstimate(250, 500, 10, 500, 1e-5), 9);
        // 20 of 1000 at 1 of 1000: ln((1 − δ − 0.987742)/0.00555892) = 0.789980.
        Assert.Equal(0.789980, PrivacyAudit.EpsilonLowerBound(20, 1000, 1, 1000, 1e-5, 0.05), 1e-5);
    }

    [Fact]
    public void ATestNoBetterThanGuessingProvesNothing()
    {
        Assert.Equal(0, PrivacyAudit.EpsilonLowerBound(10, 500, 5, 500, 1e-5));
        Assert.Equal(0, PrivacyAudit.EpsilonLowerBound(50, 100, 50, 100, 1e-5));
        Assert.Equal(0, PrivacyAudit.EpsilonLowerBound(0, 100, 0, 100, 1e-5));
    }

    [Fact]
    public void TheBoundNeverExceedsThePointEstimateAndGrowsWithTheSample()
    {
        for (int tp = 0; tp <= 40; tp += 5)
            for (int fp = 0; fp <= 10; fp += 2)
                Assert.True(PrivacyAudit.EpsilonLowerBound(tp, 40, fp, 40, 1e-5) <= PrivacyAudit.PointEstimate(tp, 40, fp, 40, 1e-5) + 1e-12, $"{tp}, {fp}");
        Assert.True(PrivacyAudit.EpsilonLowerBound(1000, 1000, 0, 1000, 1e-5) > PrivacyAudit.EpsilonLowerBound(100, 100, 0, 100, 1e-5));
    }

    [Fact]
    public void RunChoosesTheThresholdOnOneHalfAndBoundsOnTheOther()
    {
        // Members score 1 … 100, non-members −100 … −1: perfectly separated; each half has 50 of each.
        var members = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        var nonMembers = Enumerable.Range(1, 100).Select(i => -(double)i).ToArray();
        var result = PrivacyAudit.Run(members, nonMembers, delta: 1e-5);
        Assert.Equal((50, 50, 0, 50), (result.TruePositives, result.Members, result.FalsePositives, result.NonMembers));
        Assert.Equal(PrivacyAudit.EpsilonLowerBound(50, 50, 0, 50, 1e-5), result.EpsilonLowerBound, 12);
        Assert.Equal(result.LargestProvable, result.EpsilonLowerBound, 12);
        // Identical score distributions prove (almost) nothing.
        var random = new Random(3);
        var same1 = Enumerable.Range(0, 400).Select(_ => random.NextDouble()).ToArray();
        var same2 = Enumerable.Range(0, 400).Select(_ => random.NextDouble()).ToArray();
        Assert.True(PrivacyAudit.Run(same1, same2, 1e-5).EpsilonLowerBound < 0.5);
    }

    [Fact]
    public void BadInputGetsAClearError()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAudit.EpsilonLowerBound(11, 10, 0, 10, 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAudit.EpsilonLowerBound(1, 10, 0, 0, 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAudit.EpsilonLowerBound(1, 10, 0, 10, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivacyAudit.EpsilonLowerBound(1, 10, 0, 10, 1e-5, alpha: 0));
        Assert.Throws<ArgumentException>(() => PrivacyAudit.Run(new[] { 1.0 }, new[] { 0.0, 1.0 }, 1e-5));
    }

    [Fact]
    public void HanleyMcNeilStandardErrorMatchesTheFormulaByHand()
    {
        // A = 0.75, m = n = 100: Q1 = 0.75/1.25 = 0.6, Q2 = 2·0.5625/1.75 = 0.642857;
        // var = (0.1875 + 99·(0.6 − 0.5625) + 99·(0.642857 − 0.5625)) / 10000 = (0.1875 + 3.7125 + 7.955357)/10000 = 0.00118554.
        Assert.Equal(Math.Sqrt(0.00118554), AucInterval.StandardError(0.75, 100, 100), 6);
        var interval = AucInterval.HanleyMcNeil(0.75, 100, 100);
        Assert.Equal(0.75 - 1.959964 * Math.Sqrt(0.00118554), interval.Lower, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => AucInterval.StandardError(1.2, 10, 10));
    }
}
