using ModelSecurity.Attacks;
using ModelSecurity.Defenses;
using ModelSecurity.Tests.Support;
using ModelSecurity.Training;

namespace ModelSecurity.Tests.Defenses;

public class RobustnessCurveTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private static EpochRecord Epoch(int epoch, double loss = 0.5, double accuracy = 0.6) => new(epoch, loss, accuracy, null, 1e-3, 12.5, 100);

    [Fact]
    public void RecordsCleanAndPgdAccuracyWithTheEpochsTrainingNumbersAndNeverStops()
    {
        using var validation = fixture.Test.Take(200);
        using var curve = new RobustnessCurve(validation, 0.03, steps: 5);
        Assert.False(curve.Record(fixture.Model, Epoch(1)));
        Assert.False(curve.Record(fixture.Model, Epoch(2, 0.4, 0.7)));

        var expected = RobustnessEvaluator.Evaluate(fixture.Model, validation, new Pgd(fixture.Model, 0.03, steps: 5, seed: 0), log: TextWriter.Null);
        Assert.Equal(2, curve.Points.Count);
        var second = curve.Points[1];
        Assert.Equal((2, 0.4, 0.7, 12.5), (second.Epoch, second.TrainLoss, second.TrainAccuracy, second.Seconds));
        Assert.Equal(expected.CleanAccuracy, second.CleanAccuracy, 9);
        Assert.Equal(expected.RobustAccuracy, second.RobustAccuracy, 9);
        Assert.True(second.RobustAccuracy < second.CleanAccuracy, "PGD at ε = 0.03 must cost the standard MLP some accuracy");
        // The same seed every epoch: an unchanged model gets the same numbers.
        Assert.Equal(curve.Points[0].RobustAccuracy, second.RobustAccuracy);
    }

    [Fact]
    public void CsvRoundTripsAndMalformedFilesNameTheLine()
    {
        var points = new[] { new CurvePoint(1, 1.25, 0.5, 0.8, 0.6, 30.5), new CurvePoint(2, 0.75, 0.625, 0.85, 0.7, 29) };
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string path = Path.Combine(folder, "model.curve.csv");
            File.WriteAllText(path, RobustnessCurve.ToCsv(points));
            Assert.Equal(points, RobustnessCurve.LoadCsv(path));

            File.WriteAllText(path, RobustnessCurve.ToCsv(points) + "3,0.5,oops,0.8,0.7,1\n");
            var error = Assert.Throws<InvalidDataException>(() => RobustnessCurve.LoadCsv(path));
            Assert.Contains("line 4", error.Message);
            File.WriteAllText(path, "not a curve\n");
            Assert.Contains("header", Assert.Throws<InvalidDataException>(() => RobustnessCurve.LoadCsv(path)).Message);
            Assert.Contains("course train-robust", Assert.Throws<FileNotFoundException>(() => RobustnessCurve.LoadCsv(Path.Combine(folder, "missing.csv"))).Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void TheCurveLivesBesideItsCheckpoint()
    {
        Assert.Equal(Path.Combine("data", "checkpoints", "pgd-at.curve.csv"), RobustnessCurve.FileFor(Path.Combine("data", "checkpoints", "pgd-at.ckpt")));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        using var validation = fixture.Test.Take(10);
        using var empty = fixture.Test.Take(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustnessCurve(validation, -0.1));
        Assert.Throws<ArgumentException>(() => new RobustnessCurve(empty, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustnessCurve(validation, 0.1, steps: 0));
    }
}
