using ModelSecurity.Grading;

namespace ModelSecurity.Notebooks.Tests.Judgement;

/// <summary>
/// Chapter 07's judgement exercise <c>choose-sigma</c>: the reference reading of certified accuracy at a radius passes,
/// and each plausible misreading fails on the grader's fresh certification results. The check runs in-process with the
/// answers as plain delegates, so no notebook runs.
/// </summary>
public class CertificationJudgementTests
{
    private const string Exercise = "07-certified-robustness-and-black-box/choose-sigma";


    private static ExerciseResult Grade(Func<IReadOnlyDictionary<double, (double Radius, bool Correct)[]>, double, double> answer) =>
        SingleAnswerContext.Grade(Exercise, "ChooseSigma", answer);

    /// <summary>The σ whose results score highest under <paramref name="rate"/>.</summary>
    private static double Argmax(IReadOnlyDictionary<double, (double Radius, bool Correct)[]> results, Func<(double Radius, bool Correct)[], double> rate) =>
        results.OrderBy(kv => kv.Key).MaxBy(kv => rate(kv.Value)).Key;

    [Fact]
    public void TheCertifiedAccuracyAtTheRadiusPasses()
    {
        var result = Grade((results, r) => Argmax(results, c => c.Count(x => x.Correct && x.Radius >= r) / (double)c.Length));
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void TheAccuracyAtRadiusZeroFails()
    {
        var result = Grade((results, _) => Argmax(results, c => c.Count(x => x.Correct) / (double)c.Length));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("r = 0", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountingWrongCertificatesFails()
    {
        var result = Grade((results, r) => Argmax(results, c => c.Count(x => x.Radius >= r) / (double)c.Length));
        Assert.False(result.Passed, result.Message);
        Assert.Contains("WRONG class", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LeavingAbstentionsOutOfTheDenominatorFails()
    {
        var result = Grade((results, r) => Argmax(results,
            c => c.Count(x => x.Correct && x.Radius >= r) / (double)Math.Max(1, c.Count(x => !double.IsNaN(x.Radius)))));
        Assert.False(result.Passed, result.Message);
        // When this misreading picks the same σ as another one on the failing case, the hint may name that one instead.
        Assert.Matches("abstentions|r = 0|WRONG class", result.Message);
    }

    [Fact]
    public void AlwaysTheLargestSigmaFails()
    {
        var result = Grade((results, _) => results.Keys.Max());
        Assert.False(result.Passed, result.Message);
    }
}
