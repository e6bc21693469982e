using ModelSecurity.Statistics;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Exercise 4.3 (<c>04-trades/pick-beta</c>): choose β on a measured sweep so that the clean-accuracy target holds with
/// 95 % confidence. The interval-based choice passes; trusting point estimates (the weak attempt) and ignoring the target
/// (taking the most robust β) fail — on the fixed sweeps and on the fresh random one.
/// </summary>
public class TradesJudgementTests
{
    private const string Exercise = "04-trades/pick-beta";
    private const string Name = "PickBeta";

    private static double Pick(double[] betas, int[] clean, int[] robust, int count, double target, Func<int, bool> qualifies)
    {
        double best = double.NaN;
        int bestRobust = -1;
        for (int i = 0; i < betas.Length; i++)
            if (qualifies(i) && (robust[i] > bestRobust || (robust[i] == bestRobust && betas[i] < best)))
                (best, bestRobust) = (betas[i], robust[i]);
        return best;
    }

    [Fact]
    public void TheConfidentChoicePasses()
    {
        Func<double[], int[], int[], int, double, double> answer = (b, c, r, n, t) => Pick(b, c, r, n, t, i => Proportion.Wilson(c[i], n).Lower >= t);
        var result = SingleAnswerContext.Grade(Exercise, Name, answer);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void TrustingPointEstimatesFails()
    {
        Func<double[], int[], int[], int, double, double> answer = (b, c, r, n, t) => Pick(b, c, r, n, t, i => c[i] / (double)n >= t);
        var result = SingleAnswerContext.Grade(Exercise, Name, answer);
        Assert.False(result.Passed, result.Message);
        Assert.Contains("point estimate", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrustingPointEstimatesFailsOnTheFreshSweepAlone()
    {
        // Knows the fixed sweeps (answers them right) but trusts point estimates elsewhere: the fresh sweep catches it.
        Func<double[], int[], int[], int, double, double> answer = (b, c, r, n, t) =>
            Pick(b, c, r, n, t, i => !b.Contains(0.5) ? Proportion.Wilson(c[i], n).Lower >= t : c[i] / (double)n >= t);   // the fresh sweep's β grid has 0.5
        var result = SingleAnswerContext.Grade(Exercise, Name, answer);
        Assert.False(result.Passed, result.Message);
        Assert.Contains("a random sweep", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IgnoringTheTargetFails()
    {
        Func<double[], int[], int[], int, double, double> answer = (b, c, r, n, t) => Pick(b, c, r, n, t, _ => true);
        var result = SingleAnswerContext.Grade(Exercise, Name, answer);
        Assert.False(result.Passed, result.Message);
    }
}
