using ModelSecurity.Statistics;

namespace ModelSecurity.Tests.Statistics;

public class PairedComparisonTests
{
    private static bool[] Outcomes(params (bool Value, int Count)[] runs) => runs.SelectMany(r => Enumerable.Repeat(r.Value, r.Count)).ToArray();

    [Fact]
    public void CountsTheFourKindsOfPairAndTheRates()
    {
        // 5 both right, 3 only A, 1 only B, 1 both wrong.
        var a = Outcomes((true, 5), (true, 3), (false, 1), (false, 1));
        var b = Outcomes((true, 5), (false, 3), (true, 1), (false, 1));
        var comparison = PairedComparison.Of("A", a, "B", b);
        Assert.Equal((5, 3, 1, 1), (comparison.BothRight, comparison.OnlyA, comparison.OnlyB, comparison.BothWrong));
        Assert.Equal(0.8, comparison.RateA, 12);
        Assert.Equal(0.6, comparison.RateB, 12);
        Assert.Equal(0.2, comparison.Difference, 12);
    }

    [Fact]
    public void McNemarsExactPValueIsTheTwoSidedBinomialTestOfTheDiscordantPairs()
    {
        // 10 only-A and 2 only-B discordant pairs: p = 2·(C(12,10) + C(12,11) + C(12,12)) / 2^12 = 158 / 4096.
        var comparison = new PairedComparison("A", "B", BothRight: 50, OnlyA: 10, OnlyB: 2, BothWrong: 38);
        Assert.Equal(158.0 / 4096, comparison.PValue, 9);
        Assert.Equal(1.0, new PairedComparison("A", "B", 50, 0, 0, 50).PValue);
        Assert.Equal(1.0, new PairedComparison("A", "B", 50, 3, 3, 44).PValue);
    }

    [Fact]
    public void ATinyPValueIsPrintedAsABoundNotAsZero()
    {
        // 1729 vs 183 discordant pairs: p underflows far below what three decimals show.
        string tiny = new PairedComparison("clean", "noisy", BothRight: 7471, OnlyA: 1729, OnlyB: 183, BothWrong: 617).ToString();
        Assert.EndsWith("McNemar exact p < 0.001", tiny);
        Assert.EndsWith("McNemar exact p = 0.039", new PairedComparison("A", "B", 50, 10, 2, 38).ToString());
    }

    [Fact]
    public void NewcombesIntervalContainsTheDifferenceIsNarrowerThanUnpairedWilsonAndNeverCollapses()
    {
        // Two methods that agree on most of 500 points: the paired interval must be much narrower than the gap that two
        // separate Wilson intervals leave open.
        var close = new PairedComparison("A", "B", BothRight: 340, OnlyA: 20, OnlyB: 5, BothWrong: 135);
        var interval = close.DifferenceInterval;
        Assert.InRange(close.Difference, interval.Lower, interval.Upper);
        Assert.True(interval.Lower > 0, $"15 of 25 discordant pairs net: the interval {interval} should exclude 0");
        var wilsonA = Proportion.Wilson(360, 500);
        var wilsonB = Proportion.Wilson(345, 500);
        Assert.True(wilsonA.Lower < wilsonB.Upper, "the unpaired intervals overlap for this gap");

        var identical = new PairedComparison("A", "B", 300, 0, 0, 200).DifferenceInterval;
        Assert.True(identical.Lower < 0 && identical.Upper > 0, $"no discordant pair still leaves sampling uncertainty: {identical}");
        Assert.True(identical.Upper - identical.Lower < 0.02, $"{identical}");
    }

    [Fact]
    public void MismatchedOrEmptyOutcomesAreRefusedWithTheCounts()
    {
        var error = Assert.Throws<ArgumentException>(() => PairedComparison.Of("PGD", new[] { true, false }, "C&W", new[] { true }));
        Assert.Contains("PGD has 2", error.Message);
        Assert.Contains("C&W has 1", error.Message);
        Assert.Throws<ArgumentException>(() => PairedComparison.Of("A", Array.Empty<bool>(), "B", Array.Empty<bool>()));
    }
}
