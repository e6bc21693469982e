using ModelSecurity.Attacks;

namespace ModelSecurity.Tests.Attacks;

public class StoredEvaluationTests
{
    private static WorstCaseReport Report() => new("AutoAttack (standard)", Norm.LInf, 0.1, Count: 5, CleanCorrect: 4,
        Stages: [new WorstCaseStage("APGD-CE", 4, 1, 3, 1.5, null), new WorstCaseStage("Square", 3, 1, 2, 2.0, null)],
        BrokenBy: [WorstCaseReport.Misclassified, 0, WorstCaseReport.Robust, 1, WorstCaseReport.Robust], EarlyExit: true, Seconds: 3.5);

    [Fact]
    public void AnEvaluationSurvivesTheRoundTripWithItsPerPointResults()
    {
        string path = Path.Combine(Path.GetTempPath(), $"stored-{Guid.NewGuid():N}.json");
        try
        {
            new StoredEvaluation("m.ckpt", "kolter-madry-cnn", "fashion-mnist", "first 5", "standard", 0, Report()).Save(path);
            var loaded = StoredEvaluation.Load(path);
            Assert.Equal("m.ckpt", loaded.Checkpoint);
            Assert.Equal(Norm.LInf, loaded.Report.Norm);
            Assert.Equal(Report().BrokenBy, loaded.Report.BrokenBy);
            Assert.Equal(Report().Stages, loaded.Report.Stages);
            Assert.Equal(0.4, loaded.Report.RobustAccuracy, 12);
            Assert.Equal(new[] { false, false, true, false, true }, loaded.RobustPerImage);
            Assert.Contains("| Square | 1 of 3 attacked | 40.00% |", loaded.ToString());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AFileWhoseCountsContradictItsPerPointResultsOrThatIsNoEvaluationIsRefused()
    {
        string path = Path.Combine(Path.GetTempPath(), $"stored-{Guid.NewGuid():N}.json");
        try
        {
            var edited = Report() with { BrokenBy = [WorstCaseReport.Misclassified, WorstCaseReport.Robust, WorstCaseReport.Robust, 1, WorstCaseReport.Robust] };
            new StoredEvaluation("m.ckpt", "a", "d", "first 5", "standard", 0, edited).Save(path);
            Assert.Contains("contradicts itself", Assert.Throws<InvalidDataException>(() => StoredEvaluation.Load(path)).Message);
            File.WriteAllText(path, "{ \"checkpoint\": 3 ");
            Assert.Contains("is not a stored evaluation", Assert.Throws<InvalidDataException>(() => StoredEvaluation.Load(path)).Message);
            File.Delete(path);
            Assert.Contains("course robustness --autoattack", Assert.Throws<FileNotFoundException>(() => StoredEvaluation.Load(path)).Message);
        }
        finally { File.Delete(path); }
    }
}
