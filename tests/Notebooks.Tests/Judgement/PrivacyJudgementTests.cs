using ModelSecurity.Certification;
using ModelSecurity.Grading;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Exercise 5.4 (<c>05-differential-privacy/audit-epsilon</c>): the learner turns a membership test's counts into an ε lower
/// bound. The grade depends on not overclaiming (the measured rates are estimates) and on using what the counts prove.
/// The check runs in-process with the answers as plain delegates, so no notebook runs.
/// </summary>
public class PrivacyJudgementTests
{
    private const string Exercise = "05-differential-privacy/audit-epsilon";


    private static ExerciseResult Grade(Func<int, int, int, int, double, double> answer) =>
        SingleAnswerContext.Grade(Exercise, "AuditEpsilon", answer);

    /// <summary>The reference solution of the notebook, written out here (not the library call) so that the test checks the grader against it.</summary>
    private static double Reference(int tp, int members, int fp, int nonMembers, double delta)
    {
        double fprUpper = ClopperPearson.UpperBound(fp, nonMembers, 0.025);
        double fnrUpper = ClopperPearson.UpperBound(members - tp, members, 0.025);
        double first = 1 - delta - fnrUpper > 0 ? Math.Log((1 - delta - fnrUpper) / fprUpper) : 0;
        double second = 1 - delta - fprUpper > 0 ? Math.Log((1 - delta - fprUpper) / fnrUpper) : 0;
        return Math.Max(0, Math.Max(first, second));
    }

    [Fact]
    public void TheReferenceSolutionPasses()
    {
        var result = Grade(Reference);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void ThePointEstimateOverclaimsAndFails()
    {
        // The plausible weak attempt: ln((TPR − δ)/FPR) on the measured rates.
        var result = Grade((tp, m, fp, n, delta) => Math.Max(0, Math.Log(((double)tp / m - delta) / ((double)fp / n))));
        Assert.False(result.Passed, result.Message);
    }

    [Fact]
    public void BoundsAtNinetyFivePercentEachOverclaimAndFail()
    {
        var result = Grade((tp, m, fp, n, delta) =>
        {
            double f = ClopperPearson.UpperBound(fp, n, 0.05), g = ClopperPearson.UpperBound(m - tp, m, 0.05);
            return Math.Max(0, Math.Max(Math.Log(Math.Max(1e-300, 1 - delta - g) / f), Math.Log(Math.Max(1e-300, 1 - delta - f) / g)));
        });
        Assert.False(result.Passed, result.Message);
        Assert.Contains("overclaim", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheFirstInequalityLeavesABoundUnusedAndFails()
    {
        var result = Grade((tp, m, fp, n, delta) =>
        {
            double f = ClopperPearson.UpperBound(fp, n, 0.025), g = ClopperPearson.UpperBound(m - tp, m, 0.025);
            return 1 - delta - g > 0 ? Math.Max(0, Math.Log((1 - delta - g) / f)) : 0;
        });
        Assert.False(result.Passed, result.Message);
        Assert.Contains("second inequality", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReturningZeroIsValidButFails()
    {
        var result = Grade((_, _, _, _, _) => 0);
        Assert.False(result.Passed, result.Message);
    }
}
