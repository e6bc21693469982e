using ModelSecurity.Grading;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Exercise 3.3 (<c>03-adversarial-training/read-fast-at-runs</c>) asks for a judgement: which fast-AT runs collapsed
/// (catastrophic overfitting) and which check's weights to restore, on runs the grader invents afresh. The reference
/// reading passes; the plausible shortcuts a learner might take fail. The checks run in-process with the answers as
/// plain delegates, as in <see cref="FreshInputChecksTests"/>; each is graded several times because every grading draws new runs.
/// </summary>
public class AdversarialTrainingJudgementTests
{
    private const string Exercise = "03-adversarial-training/read-fast-at-runs";


    private static ExerciseResult Grade(Func<double[], double[], double[], (bool, int)> answer) =>
        SingleAnswerContext.Grade(Exercise, "ReadFastAtRun", answer);

    /// <summary>The reference solution: a collapse is PGD accuracy falling below half its best while FGSM-train accuracy reaches clean accuracy.</summary>
    private static (bool, int) Reference(double[] fgsmTrain, double[] clean, double[] pgd)
    {
        for (int t = 1; t < pgd.Length; t++)
        {
            double bestBefore = pgd.Take(t).Max();
            if (fgsmTrain[t] >= clean[t] - 0.02 && pgd[t] < 0.5 * bestBefore) return (true, Array.IndexOf(pgd, bestBefore));
        }
        return (false, Array.IndexOf(pgd, pgd.Max()));
    }

    [Fact]
    public void TheReferenceReadingPasses()
    {
        for (int i = 0; i < 20; i++)
        {
            var result = Grade(Reference);
            Assert.True(result.Passed, result.Message);
        }
    }

    [Fact]
    public void TheMonitorsRuleAloneMissesAnEarlyCollapse()
    {
        // "Collapsed when PGD accuracy falls more than 20 points below its best" (CatastrophicOverfittingMonitor's default).
        (bool, int) DropRule(double[] fgsm, double[] clean, double[] pgd)
        {
            for (int t = 1; t < pgd.Length; t++)
            {
                double best = pgd.Take(t).Max();
                if (best - pgd[t] > 0.2) return (true, Array.IndexOf(pgd, best));
            }
            return (false, Array.IndexOf(pgd, pgd.Max()));
        }
        for (int i = 0; i < 5; i++)
        {
            var result = Grade(DropRule);
            Assert.False(result.Passed, result.Message);
            Assert.Contains("Collapsed = false", result.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CallingEveryDipACollapseFails()
    {
        (bool, int) AnyDip(double[] fgsm, double[] clean, double[] pgd)
        {
            for (int t = 1; t < pgd.Length; t++)
                if (pgd[t] < pgd[t - 1] - 0.05) return (true, t - 1);
            return (false, pgd.Length - 1);
        }
        for (int i = 0; i < 5; i++)
        {
            var result = Grade(AnyDip);
            Assert.False(result.Passed, result.Message);
        }
    }

    [Fact]
    public void CallingLowPgdAccuracyACollapseFails()
    {
        (bool, int) LowPgd(double[] fgsm, double[] clean, double[] pgd)
        {
            // Any check below 10 % counts as a collapse (the weakly robust run always has one, after its first check).
            int low = Array.FindIndex(pgd, p => p < 0.1);
            return low >= 0 ? (true, low == 0 ? 0 : Array.IndexOf(pgd, pgd.Take(low).Max())) : (false, Array.IndexOf(pgd, pgd.Max()));
        }
        for (int i = 0; i < 5; i++)
        {
            var result = Grade(LowPgd);
            Assert.False(result.Passed, result.Message);
        }
    }

    [Fact]
    public void RestoringTheLastCheckAfterACollapseFails()
    {
        (bool, int) RightVerdictLastWeights(double[] fgsm, double[] clean, double[] pgd) => (Reference(fgsm, clean, pgd).Item1, pgd.Length - 1);
        var result = Grade(RightVerdictLastWeights);
        Assert.False(result.Passed, result.Message);
        Assert.Contains("RestoreCheck", result.Message, StringComparison.Ordinal);
    }
}
