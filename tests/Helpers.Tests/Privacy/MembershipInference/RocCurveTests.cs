using ModelSecurity.Privacy.MembershipInference;

namespace ModelSecurity.Tests.Privacy.MembershipInference;

public class RocCurveTests
{
    [Fact]
    public void PerfectlySeparatedScoresHaveAucOneAndAdvantageOne()
    {
        var roc = new RocCurve([5.0, 6, 7, 8], [1.0, 2, 3]);
        Assert.Equal(1.0, roc.Auc, 12);
        Assert.Equal(1.0, roc.BestAdvantage, 12);
        Assert.Equal(5.0, roc.Best.Threshold);
        Assert.Equal(1.0, roc.TprAtFpr(0.0), 12);
    }

    [Fact]
    public void ReversedScoresHaveAucZero()
    {
        var roc = new RocCurve([1.0, 2, 3], [5.0, 6, 7, 8]);
        Assert.Equal(0.0, roc.Auc, 12);
        Assert.Equal(0.0, roc.BestAdvantage, 12); // threshold +∞ (call nobody a member) is always available
        Assert.Equal(0.0, roc.TprAtFpr(0.5), 12);
    }

    [Fact]
    public void IdenticalDistributionsHaveAucNearOneHalf()
    {
        var random = new Random(7);
        double[] members = Enumerable.Range(0, 2000).Select(_ => random.NextDouble()).ToArray();
        double[] nonMembers = Enumerable.Range(0, 2000).Select(_ => random.NextDouble()).ToArray();
        var roc = new RocCurve(members, nonMembers);
        Assert.InRange(roc.Auc, 0.47, 0.53); // standard error ≈ 0.009
        Assert.InRange(roc.BestAdvantage, 0, 0.08);
        Assert.Equal(RocCurve.MannWhitneyAuc(members, nonMembers), roc.Auc, 9);
    }

    [Fact]
    public void AllScoresTiedGiveTheDiagonal()
    {
        var roc = new RocCurve([1.0, 1, 1], [1.0, 1]);
        Assert.Equal(0.5, roc.Auc, 12);
        Assert.Equal(new[] { new RocPoint(double.PositiveInfinity, 0, 0), new RocPoint(1, 1, 1) }, roc.Points);
    }

    [Fact]
    public void HandComputedExampleWithTies()
    {
        // members 3, 2, 2, 1; non-members 2, 1, 0.
        // Pairs won (ties ½): 3 → 3; 2 → 2.5; 2 → 2.5; 1 → 1.5; total 9.5 of 12.
        var roc = new RocCurve([3.0, 2, 2, 1], [2.0, 1, 0]);
        Assert.Equal(9.5 / 12, roc.Auc, 12);
        Assert.Equal(9.5 / 12, RocCurve.MannWhitneyAuc([3.0, 2, 2, 1], [2.0, 1, 0]), 12);

        var expected = new (double Threshold, double Fpr, double Tpr)[]
        {
            (double.PositiveInfinity, 0, 0), (3, 0, 0.25), (2, 1.0 / 3, 0.75), (1, 2.0 / 3, 1), (0, 1, 1),
        };
        Assert.Equal(expected.Length, roc.Points.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Threshold, roc.Points[i].Threshold);
            Assert.Equal(expected[i].Fpr, roc.Points[i].Fpr, 12);
            Assert.Equal(expected[i].Tpr, roc.Points[i].Tpr, 12);
        }

        // advantages 0, 0.25, 5/12, 1/3, 0: the best is at threshold 2
        Assert.Equal(5.0 / 12, roc.BestAdvantage, 12);
        Assert.Equal(2.0, roc.Best.Threshold);
        Assert.Equal(0.25, roc.TprAtFpr(0.01), 12);
        Assert.Equal(0.75, roc.TprAtFpr(0.34), 12);

        var at2 = roc.At(2);
        Assert.Equal(0.75, at2.Tpr, 12);
        Assert.Equal(1.0 / 3, at2.Fpr, 12);
        Assert.Equal(5.0 / 7, at2.Accuracy, 12); // 3 members + 2 non-members right, of 7
        Assert.Equal(0.5 + 5.0 / 24, at2.BalancedAccuracy, 12);
    }

    [Fact]
    public void BestAdvantageIsTheMaximumOverAllThresholds()
    {
        var random = new Random(3);
        double[] members = Enumerable.Range(0, 60).Select(_ => Math.Round(random.NextDouble() + 0.3, 1)).ToArray();
        double[] nonMembers = Enumerable.Range(0, 50).Select(_ => Math.Round(random.NextDouble(), 1)).ToArray();
        var roc = new RocCurve(members, nonMembers);
        double bruteForce = members.Concat(nonMembers).Distinct()
            .Max(t => members.Count(s => s >= t) / 60.0 - nonMembers.Count(s => s >= t) / 50.0);
        Assert.Equal(Math.Max(0, bruteForce), roc.BestAdvantage, 12);
        Assert.Equal(roc.BestAdvantage, roc.At(roc.Best.Threshold).Advantage, 12);
        Assert.Equal(RocCurve.MannWhitneyAuc(members, nonMembers), roc.Auc, 12);
    }

    [Fact]
    public void BadScoresAreRejected()
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new RocCurve([], [1.0])).Message);
        Assert.Equal("nonMemberScores", Assert.Throws<ArgumentException>(() => new RocCurve([1.0], [])).ParamName);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => new RocCurve([1.0, double.NaN], [1.0])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RocCurve([1.0], [0.0]).TprAtFpr(1.5));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.AtThreshold([1.0], [0.0], double.NaN));
    }
}
