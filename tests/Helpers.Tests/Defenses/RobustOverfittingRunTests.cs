using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.Tests.Support;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Defenses;

public class RobustOverfittingRunTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private static RobustTrainingRecipe TinyRecipe => Recipes.RobustOverfitting with
    {
        Training = Recipes.RobustOverfitting.Training with { Architecture = "mlp", Epochs = 4, BatchSize = 50, TrainSubset = 300 },
        AttackSteps = 3,
    };

    [Fact]
    public void KeepsTheWeightsOfTheFirstEpochWithTheBestRobustValidationAccuracyBesideTheLastOnes()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        var (trainPart, validation) = train.SplitValidation(1000, seed: 0);
        using var _ = trainPart;
        using var __ = validation;
        using var curveImages = validation.Take(100);
        using var run = RobustOverfittingRun.Train(TinyRecipe, trainPart, curveImages, CPU);

        Assert.Equal(4, run.Curve.Count);
        double best = run.Curve.Max(p => p.RobustAccuracy);
        Assert.Equal(run.Curve.First(p => p.RobustAccuracy == best).Epoch, run.BestEpoch);
        // The kept models are those epochs' weights: measured again, they give the curve's numbers.
        double Measure(nn.Module<Tensor, Tensor> model) =>
            RobustnessEvaluator.Evaluate(model, curveImages, new Pgd(model, TinyRecipe.Epsilon, steps: 10, seed: 0), log: TextWriter.Null).RobustAccuracy;
        Assert.Equal(best, Measure(run.Best), 9);
        Assert.Equal(run.Curve[^1].RobustAccuracy, Measure(run.Last), 9);
        Assert.False(run.Best.training);
        Assert.Equal(run.BestEpoch.ToString(), run.BestInfo.Extra!["weightsOfEpoch"]);
        Assert.Equal("4", run.LastInfo.Extra!["weightsOfEpoch"]);
        Assert.Equal("pgd-at", run.LastInfo.Extra["method"]);
    }

    [Fact]
    public void TheSameSeedGivesTheSameCurve()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var subset = train.Subset(400, seed: 5);
        using var curveImages = fixture.Test.Take(50);
        var recipe = TinyRecipe with { Training = TinyRecipe.Training with { Epochs = 2, TrainSubset = 200 } };
        using var first = RobustOverfittingRun.Train(recipe, subset, curveImages, CPU);
        using var second = RobustOverfittingRun.Train(recipe, subset, curveImages, CPU);
        Assert.Equal(first.Curve.Select(p => (p.TrainLoss, p.RobustAccuracy)), second.Curve.Select(p => (p.TrainLoss, p.RobustAccuracy)));
    }

    [Fact]
    public void BestVersusLastIsPairedOnTheSameImagesAndRefusesABadBudget()
    {
        using var images = fixture.Test.Take(60);
        var same = BestVersusLastWeights.Evaluate(fixture.Model, fixture.Model, images, 0.05);
        Assert.Equal(60, same.Count);
        Assert.Equal(same.ApgdBest, same.ApgdLast);
        Assert.Equal((0, 0, 0.0, 1.0), (same.Apgd.OnlyA, same.Apgd.OnlyB, same.Apgd.Difference, same.Apgd.PValue));
        Assert.True(same.Apgd.RateA < same.Clean.RateA, "APGD-CE at ε = 0.05 must cost the standard MLP some accuracy");
        Assert.Throws<ArgumentOutOfRangeException>(() => BestVersusLastWeights.Evaluate(fixture.Model, fixture.Model, images, -0.1));
    }
}
