using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Poisoning;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Poisoning;

public class BackdoorDefenseTests
{
    [Fact]
    public void SpectralSignaturesRankPlantedPoisonsAboveCleanExamples()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        // Label 0: 200 clean representations around 0 and 20 poisons shifted along one direction (as a trigger
        // feature would); label 1: 150 clean ones only.
        var clean0 = randn(new long[] { 200, 16 }, generator: generator);
        var direction = randn(new long[] { 16 }, generator: generator);
        direction /= direction.norm();
        var poisons = randn(new long[] { 20, 16 }, generator: generator) + 4 * direction;
        var clean1 = randn(new long[] { 150, 16 }, generator: generator) + 2;
        var features = cat(new[] { clean0, poisons, clean1 }, 0);
        var labels = cat(new[] { zeros(220, ScalarType.Int64), ones(150, ScalarType.Int64) }, 0);

        double[] scores = SpectralSignatures.ScoresByLabel(features, labels);
        double lowestPoison = scores.Skip(200).Take(20).Min();
        int cleanAbove = scores.Take(200).Count(s => s >= lowestPoison);
        Assert.True(cleanAbove <= 5, $"{cleanAbove} clean examples of label 0 score at least as high as the lowest poison");
        Assert.True(scores.Skip(200).Take(20).Average() > 5 * scores.Take(200).Average());

        long[] flagged = SpectralSignatures.Flag(features, labels, expectedPoisons: 20);
        Assert.Equal(60, flagged.Length); // ⌈1.5 × 20⌉ from each label
        Assert.All(Enumerable.Range(200, 20), i => Assert.Contains((long)i, flagged));
        Assert.Throws<ArgumentException>(() => SpectralSignatures.Scores(zeros(5)));
    }

    [Fact]
    public void ActivationClusteringSplitsOffPlantedPoisonsAndLeavesCleanLabelsAlone()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(9);
        // Label 0: 200 clean representations and 30 poisons in a separate cluster; label 1: one clean blob of 150.
        var shift = zeros(16);
        shift[0] = tensor(6f);
        var features = cat(new[]
        {
            randn(new long[] { 200, 16 }, generator: generator),
            randn(new long[] { 30, 16 }, generator: generator) + shift,
            randn(new long[] { 150, 16 }, generator: generator) + 3,
        }, 0);
        var labels = cat(new[] { zeros(230, ScalarType.Int64), ones(150, ScalarType.Int64) }, 0);

        var verdicts = ActivationClustering.Analyze(features, labels, components: 5);
        Assert.Equal(2, verdicts.Count);
        Assert.True(verdicts[0].Flagged, $"label 0: relative size {verdicts[0].RelativeSize:F2}");
        Assert.Equal(Enumerable.Range(200, 30).Select(i => (long)i), verdicts[0].SmallerCluster);
        Assert.False(verdicts[1].Flagged, $"label 1 is one blob, split into {verdicts[1].RelativeSize:P0} and the rest");
        Assert.Equal(verdicts[0].SmallerCluster, ActivationClustering.Flagged(verdicts));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationClustering.Analyze(features, labels, threshold: 0.6));
    }

    [Fact]
    public void PenultimateRepresentationsAreTheLastLinearLayersInput()
    {
        Reproducibility.Seed(0);
        using var mlp = new Mlp(10, hiddenSize: 32);
        using var cnn = new KolterMadryCnn();
        using var scope = NewDisposeScope();
        using var data = new ImageDataset("random", rand(7, 1, 28, 28), zeros(7, ScalarType.Int64), FashionMnist.ClassNames);
        var mlpFeatures = Representations.Penultimate(mlp, data, batchSize: 3);
        Assert.Equal(new long[] { 7, 32 }, mlpFeatures.shape);
        Assert.Equal(new long[] { 7, 100 }, Representations.Penultimate(cnn, data).shape);
        Assert.Equal(new long[] { 7, 7 * 7 * 64 }, Representations.LinearInput(cnn, data, fromEnd: 2).shape); // flattened conv features
        Assert.Throws<ArgumentException>(() => Representations.LinearInput(cnn, data, fromEnd: 3));
        // The logits are the last layer applied to the representation.
        var fc2 = mlp.modules().OfType<TorchSharp.Modules.Linear>().Last();
        using (no_grad())
            Assert.True(fc2.forward(mlpFeatures).allclose(mlp.forward(data.Images), 1e-4, 1e-5));
        Assert.Throws<ArgumentException>(() => Representations.Penultimate(nn.Sequential(nn.Flatten()), data));
    }

    [Fact]
    public void FinePruningRemovesTheLeastActiveChannelsAndKeepsThemPrunedThroughFineTuning()
    {
        Reproducibility.Seed(0);
        using var model = new KolterMadryCnn();
        using var test = FashionMnist.Load(DataSplit.Test);
        using var clean = test.Take(200);
        double[] before = FinePruning.ChannelActivations(model, clean);
        Assert.Equal(64, before.Length);

        int[] pruned = FinePruning.Prune(model, clean, fraction: 0.25);
        Assert.Equal(16, pruned.Length);
        double highestPruned = pruned.Max(c => before[c]);
        Assert.All(Enumerable.Range(0, 64).Except(pruned), c => Assert.True(before[c] >= highestPruned));
        double[] after = FinePruning.ChannelActivations(model, clean);
        Assert.All(pruned, c => Assert.Equal(0.0, after[c]));

        var recipe = new TrainingRecipe { Name = "fine-tune-test", Epochs = 1, BatchSize = 50, LearningRate = 1e-3, Seed = 0 };
        FinePruning.FineTune(model, pruned, clean, recipe, CPU);
        double[] tuned = FinePruning.ChannelActivations(model, clean);
        Assert.All(pruned, c => Assert.Equal(0.0, tuned[c]));
        Assert.Throws<ArgumentException>(() => FinePruning.Prune(new Mlp(), clean, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FinePruning.Prune(model, clean, 1.1));
    }
}
