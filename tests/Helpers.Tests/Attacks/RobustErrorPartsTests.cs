using ModelSecurity.Attacks;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class RobustErrorPartsTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    [Fact]
    public void SplitsEveryCaseIntoNaturalAndBoundaryError()
    {
        // right & not flipped (0-2), right & flipped (3-5), wrong & still wrong (6, 7), wrong but right after the attack (8),
        // wrong and moved to another wrong class (9).
        var labels = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        var clean = tensor(new long[] { 0, 1, 2, 3, 4, 5, 0, 0, 0, 0 });
        var adversarial = tensor(new long[] { 0, 1, 2, 9, 9, 0, 0, 1, 8, 3 });
        var parts = RobustErrorParts.FromPredictions(clean, adversarial, labels);
        Assert.Equal(0.4, parts.Natural, 12);
        Assert.Equal(0.3, parts.Boundary, 12);
        Assert.Equal(0.7, parts.Robust, 12);
        Assert.Equal(10, parts.Count);
    }

    [Fact]
    public void MeasuredPartsAddUpToTheEvaluatorsRobustErrorOnCorrectlyClassifiedPoints()
    {
        using var data = fixture.Test.Take(300);
        var attack = new Pgd(fixture.Model, 0.05, steps: 5, seed: 0);
        var parts = RobustErrorParts.Measure(fixture.Model, data, attack, batchSize: 128);
        var report = RobustnessEvaluator.Evaluate(fixture.Model, data, new Pgd(fixture.Model, 0.05, steps: 5, seed: 0), batchSize: 128, log: TextWriter.Null);
        Assert.Equal(1 - report.CleanAccuracy, parts.Natural, 9);
        // Boundary error = clean accuracy × success rate (the flipped share of the correct points).
        Assert.Equal(report.CleanAccuracy * report.SuccessRate, parts.Boundary, 6);
        Assert.True(parts.Boundary > 0.05, $"PGD at ε = 0.05 must flip some of the MLP's correct answers (boundary error {parts.Boundary})");
    }

    [Fact]
    public void RejectsMismatchedShapesWithAHint()
    {
        var error = Assert.Throws<ArgumentException>(() => RobustErrorParts.FromPredictions(zeros(4, 10), zeros(4, dtype: ScalarType.Int64), zeros(4, dtype: ScalarType.Int64)));
        Assert.Contains("argmax(1)", error.Message);
    }
}
