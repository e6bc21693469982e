using System.Globalization;
using ModelSecurity.Models;
using ModelSecurity.Privacy;
using ModelSecurity.Privacy.Accounting;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

/// <summary>Private recipes: σ calibrated for the whole run, the spent ε within the target, ε and the settings in the metadata.</summary>
public class PrivateModelTrainingTests
{
    [Fact]
    public void TheShippedRecipesTargetTheChapterEpsilonsWithTheTanhCnn()
    {
        Assert.Equal(new[] { 1.0, 3.0, 8.0 }, Recipes.PrivateEpsilons);
        foreach (double epsilon in Recipes.PrivateEpsilons)
        {
            var recipe = Recipes.Private(epsilon);
            recipe.Validate();
            Assert.Equal(epsilon, recipe.TargetEpsilon);
            Assert.Equal(1e-5, recipe.Delta);
            Assert.Equal("tanh-cnn", recipe.Training.Architecture);
            Assert.Equal(ShippedModels.PrivateFile(epsilon), recipe.CheckpointFile);
        }
        Assert.Equal("dp-eps3-tanh-cnn.ckpt", ShippedModels.PrivateFile(3));
        Assert.Equal("dp-eps0.5-tanh-cnn.ckpt", ShippedModels.PrivateFile(0.5));
    }

    [Fact]
    public void CalibratedNoiseMeetsTheTargetForEveryStepOfTheRunAndNoMore()
    {
        var recipe = Recipes.Private(3);
        const int examples = 60_000;
        double q = recipe.SampleRate(examples);
        int steps = recipe.Steps(examples);
        Assert.Equal(512.0 / 60_000, q, 12);
        Assert.Equal(recipe.Training.Epochs * 117, steps); // round(60000 / 512) = 117 Poisson batches per epoch

        double sigma = recipe.CalibrateNoise(examples);
        var accountant = new RdpAccountant();
        accountant.Step(sigma, q, steps);
        double epsilon = accountant.GetEpsilon(1e-5);
        Assert.InRange(epsilon, 2.98, 3.0);

        // less noise would break the target: σ is (to the tolerance) the smallest that meets it
        var weaker = new RdpAccountant();
        weaker.Step(sigma * 0.97, q, steps);
        Assert.True(weaker.GetEpsilon(1e-5) > 3, "3 % less noise should exceed ε = 3");

        // a smaller ε needs more noise; more epochs at the same ε need more noise per step
        Assert.True(Recipes.Private(1).CalibrateNoise(examples) > sigma);
        Assert.True((recipe with { Training = recipe.Training with { Epochs = 40 } }).CalibrateNoise(examples) > sigma);
    }

    [Theory]
    [InlineData(0.0, 1e-5, 1.0, "rdp", "TargetEpsilon")]
    [InlineData(-1.0, 1e-5, 1.0, "rdp", "TargetEpsilon")]
    [InlineData(3.0, 0.0, 1.0, "rdp", "Delta")]
    [InlineData(3.0, 1.0, 1.0, "rdp", "Delta")]
    [InlineData(3.0, 1e-5, 0.0, "rdp", "MaxGradNorm")]
    [InlineData(3.0, 1e-5, 1.0, "moments", "Accountant")]
    public void InvalidRecipesNameTheField(double epsilon, double delta, double clip, string accountant, string field)
    {
        var recipe = Recipes.Private(3) with { TargetEpsilon = epsilon, Delta = delta, MaxGradNorm = clip, Accountant = accountant };
        var error = Assert.Throws<ArgumentException>(recipe.Validate);
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void ABatchLargerThanTheDataIsRefused()
    {
        var recipe = Recipes.Private(3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => recipe.SampleRate(100));
        Assert.Contains("512", error.Message);
    }

    [Fact]
    public void RunTrainsRecordsTheSpentEpsilonAndTheSettingsInTheMetadata()
    {
        var recipe = Recipes.Private(8) with
        {
            Training = Recipes.Private(8).Training with { Epochs = 2, BatchSize = 64, TrainSubset = 1024 },
        };
        var log = new StringWriter();
        var result = PrivateModelTraining.Run(recipe, CPU, SilentTrainingReporter.Instance, log);
        using var model = result.Trained.Model;

        Assert.Equal(2 * 16, result.Steps); // round(1024 / 64) = 16 batches per epoch
        Assert.Equal(64.0 / 1024, result.SampleRate, 12);
        Assert.InRange(result.Spent.Epsilon, 7.9, 8.0);
        Assert.False(model.training);
        Assert.True(result.Trained.Test.Accuracy > 0.2, $"two private epochs on 1 024 images should beat chance, got {result.Trained.Test.Accuracy:P1}");

        var extra = result.Trained.Info.Extra!;
        var c = CultureInfo.InvariantCulture;
        Assert.Equal("dp-sgd", extra["method"]);
        Assert.Equal(result.Spent.Epsilon, double.Parse(extra["epsilon"], c));
        Assert.Equal("8", extra["targetEpsilon"]);
        Assert.Equal("1E-05", extra["delta"]);
        Assert.Equal(result.NoiseMultiplier, double.Parse(extra["noiseMultiplier"], c));
        Assert.Equal("32", extra["steps"]);
        Assert.Equal("1024", extra["privateExamples"]);
        Assert.Equal("rdp", extra["accountant"]);
        Assert.StartsWith("dp-sgd (σ=", extra["objective"]);
        Assert.Contains("Calibrated noise multiplier", log.ToString());
        Assert.Contains("Privacy spent after 32 steps", log.ToString());
        Assert.Equal("tanh-cnn", result.Trained.Info.Architecture);
    }
}
