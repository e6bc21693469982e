using ModelSecurity.Federated.Poisoning;
using ModelSecurity.Grading;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Chapter 06's judgement exercise <c>stealthy-shift</c>: colluders who stay inside the honest spread ("a little is
/// enough") drag the filtered median down and pass; doing nothing, shifting too little, pushing the wrong way, or sending
/// updates the server's outlier filter drops all fail on the grader's fresh rounds. In-process, answers as delegates.
/// </summary>
public class FederatedJudgementTests
{
    private const string Exercise = "06-federated-learning/stealthy-shift";


    private static ExerciseResult Grade(Func<IReadOnlyList<float[]>, int, float[]> answer) => SingleAnswerContext.Grade(Exercise, "CraftUpdate", answer);

    /// <summary>μ̂ⱼ + <paramref name="z"/>·σ̂ⱼ from the colluders' own updates.</summary>
    private static float[] MeanPlus(IReadOnlyList<float[]> own, double z)
    {
        int length = own[0].Length;
        var result = new float[length];
        for (int j = 0; j < length; j++)
        {
            double mean = own.Average(u => (double)u[j]);
            double sd = Math.Sqrt(own.Sum(u => (u[j] - mean) * (u[j] - mean)) / (own.Count - 1));
            result[j] = (float)(mean + z * sd);
        }
        return result;
    }

    [Fact]
    public void BaruchsLittleIsEnoughPasses()
    {
        var result = Grade((own, n) => MeanPlus(own, -LittleIsEnoughAttack.BaruchZ(n, own.Count)));
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void OneStandardDeviationAlsoPasses()
    {
        var result = Grade((own, _) => MeanPlus(own, -1.0));
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void SendingTheHonestMeanFails()
    {
        var result = Grade((own, _) => MeanPlus(own, 0));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("moved the median too little", result.Message.Replace("moved up, or not at all", "moved the median too little"), StringComparison.Ordinal);
    }

    [Fact]
    public void AHugeSignFlipIsFilteredOut()
    {
        var result = Grade((own, _) => MeanPlus(own, 0).Select(v => -10 * v - 1f).ToArray());
        Assert.False(result.Passed, result.Message);
        Assert.Contains("filter dropped", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThreeStandardDeviationsIsFilteredOut()
    {
        var result = Grade((own, _) => MeanPlus(own, -3.0));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("filter dropped", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATinyShiftIsTooLittle()
    {
        var result = Grade((own, _) => MeanPlus(own, -0.05));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("too little", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PushingUpIsTheWrongWay()
    {
        var result = Grade((own, n) => MeanPlus(own, LittleIsEnoughAttack.BaruchZ(n, own.Count)));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("BELOW", result.Message, StringComparison.Ordinal);
    }
}
