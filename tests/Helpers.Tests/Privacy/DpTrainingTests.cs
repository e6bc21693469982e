using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Privacy;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

public class DpTrainingTests
{
    [Fact]
    public void OneEpochOfDpSgdOnFashionMnistLearns()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var test = FashionMnist.Load(DataSplit.Test);
        using var testSubset = test.Take(1000);
        var recipe = new TrainingRecipe
        {
            Name = "dp-smoke", Architecture = "mlp", Epochs = 1, BatchSize = 50, Optimizer = "sgd", LearningRate = 0.5, Momentum = 0,
            Seed = 1, TrainSubset = 2000,
        };
        var options = new DpSgdOptions { NoiseMultiplier = 1.0, MaxGradNorm = 1.0 };
        var steps = new List<(double Sigma, double Q, int Steps)>();
        var engine = new PrivacyEngine((sigma, q, n) => steps.Add((sigma, q, n)));
        Reproducibility.Seed(recipe.Seed);
        var model = ModelZoo.Create("mlp");

        var history = new Trainer(SilentTrainingReporter.Instance).FitPrivately(model, train, recipe, options, CPU, engine);

        double accuracy = Evaluator.Evaluate(model, testSubset, CPU).Accuracy;
        Assert.True(accuracy > 0.4, $"DP-SGD (σ = 1, C = 1, 40 steps) should be well above chance (10%), got {accuracy:P1}");
        Assert.Single(history.Epochs);
        Assert.Equal(options.ToString(), history.Objective);
        Assert.Equal(new[] { new PrivacyStepRecord(1.0, 50.0 / 2000, 40) }, engine.History); // q = B/N, 1/q steps per epoch
        Assert.Equal(40, steps.Count);
        Assert.False(model.training);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));

        // the hooks are gone: the model evaluates (and trains) as before
        Assert.Equal(accuracy, Evaluator.Evaluate(model, testSubset, CPU).Accuracy);
    }

    [Fact]
    public void TheTrainerRefusesWhatDpSgdCannotDo()
    {
        using var data = DpTestData.Images(20, seed: 1);
        var recipe = new TrainingRecipe { Epochs = 1, BatchSize = 30 };
        var trainer = new Trainer(SilentTrainingReporter.Instance);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            trainer.FitPrivately(DpTestData.ConvNet(seed: 2), data, recipe, new DpSgdOptions(), CPU));
        Assert.Contains("exceeds the 20 training examples", error.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.FitPrivately(DpTestData.ConvNet(seed: 2), data, recipe with { BatchSize = 5 },
            new DpSgdOptions { MaxGradNorm = double.NaN }, CPU));

        var withBatchNorm = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("bn", nn.BatchNorm2d(2)), ("flat", nn.Flatten()), ("fc", nn.Linear(72, 3)));
        Assert.Contains("'bn'", Assert.Throws<ArgumentException>(() =>
            trainer.FitPrivately(withBatchNorm, data, recipe with { BatchSize = 5 }, new DpSgdOptions(), CPU)).Message);
    }
}
