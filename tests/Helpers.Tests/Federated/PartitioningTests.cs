using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Tests.Data;

namespace ModelSecurity.Tests.Federated;

public class PartitioningTests
{
    private static void AssertCoversEveryExampleOnce(DataPartition partition, int n)
    {
        var all = Enumerable.Range(0, partition.ClientCount).SelectMany(partition.Indices).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, n), all);
        Assert.Equal(n, partition.Sizes.Sum());
        Assert.Equal(n, partition.ExampleCount);
    }

    [Fact]
    public void IidCoversEveryExampleOnceWithEqualSizes()
    {
        using var data = TestData.Dataset(1003);
        var partition = Partitioner.Iid(data, clients: 10, seed: 1);
        AssertCoversEveryExampleOnce(partition, 1003);
        Assert.All(partition.Sizes, s => Assert.InRange(s, 100, 101));
        Assert.True(partition.MeanLabelSkew() < 0.15, $"IID skew {partition.MeanLabelSkew():F3}");
        Assert.Equal(partition.Indices(3), Partitioner.Iid(data, 10, seed: 1).Indices(3)); // seeded
        Assert.NotEqual(partition.Indices(3), Partitioner.Iid(data, 10, seed: 2).Indices(3));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(1.0)]
    [InlineData(1000.0)]
    public void DirichletCoversEveryExampleOnce(double alpha)
    {
        using var data = TestData.Dataset(2000);
        var partition = Partitioner.Dirichlet(data, clients: 10, alpha, seed: 3);
        AssertCoversEveryExampleOnce(partition, 2000);
        Assert.All(partition.Sizes, s => Assert.True(s >= 1));
    }

    [Fact]
    public void SmallAlphaIsSkewedAndLargeAlphaNearlyUniform()
    {
        using var data = TestData.Dataset(2000);
        var skewed = Partitioner.Dirichlet(data, clients: 10, alpha: 0.1, seed: 4);
        var uniform = Partitioner.Dirichlet(data, clients: 10, alpha: 1000, seed: 4);
        Assert.True(skewed.MeanLabelSkew() > 0.5, $"α = 0.1 should give skewed clients, mean TV distance {skewed.MeanLabelSkew():F3}");
        Assert.True(uniform.MeanLabelSkew() < 0.05, $"α = 1000 should be nearly IID, mean TV distance {uniform.MeanLabelSkew():F3}");

        // With α = 0.1 a typical client has one dominant class; with α = 1000 every class is near 10 %.
        int[,] counts = skewed.LabelCounts, flat = uniform.LabelCounts;
        double dominantSkewed = Enumerable.Range(0, 10).Average(k => Enumerable.Range(0, 10).Max(c => counts[k, c]) / (double)skewed.Sizes[k]);
        double dominantUniform = Enumerable.Range(0, 10).Average(k => Enumerable.Range(0, 10).Max(c => flat[k, c]) / (double)uniform.Sizes[k]);
        Assert.True(dominantSkewed > 0.5, $"dominant class share {dominantSkewed:P0}");
        Assert.True(dominantUniform < 0.15, $"dominant class share {dominantUniform:P0}");
    }

    [Fact]
    public void LabelShardsGiveEachClientTwoShardsOfMostlyOneLabelEach()
    {
        using var data = TestData.Dataset(2000); // 200 examples of each of 10 classes → 20 shards of 100, one class each
        var partition = Partitioner.LabelShards(data, clients: 10, seed: 5);
        AssertCoversEveryExampleOnce(partition, 2000);
        Assert.All(partition.Sizes, s => Assert.Equal(200, s));
        int[,] counts = partition.LabelCounts;
        for (int k = 0; k < 10; k++)
        {
            int classes = Enumerable.Range(0, 10).Count(c => counts[k, c] > 0);
            Assert.InRange(classes, 1, 2);
        }
        Assert.True(partition.MeanLabelSkew() > 0.75);
    }

    [Fact]
    public void UnevenShardsStillCoverEverything()
    {
        using var data = TestData.Dataset(1001, classes: 7);
        var partition = Partitioner.LabelShards(data, clients: 9, seed: 6, shardsPerClient: 3);
        AssertCoversEveryExampleOnce(partition, 1001);
        Assert.Contains("label shards", partition.Describe());
    }

    [Fact]
    public void BadArgumentsAreRejectedClearly()
    {
        using var data = TestData.Dataset(100);
        var alpha = Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.Dirichlet(data, 5, alpha: 0));
        Assert.Contains("α", alpha.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.Dirichlet(data, 5, alpha: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.Dirichlet(data, 5, alpha: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.Dirichlet(data, 5, alpha: 1, minimumPerClient: 21));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.Iid(data, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.Iid(data, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => Partitioner.LabelShards(data, 60));
        var impossible = Assert.Throws<InvalidOperationException>(() => Partitioner.Dirichlet(data, 50, alpha: 0.001, minimumPerClient: 2));
        Assert.Contains("larger α", impossible.Message);
        Assert.Throws<ArgumentException>(() => new DataPartition("broken", [[0, 1], [1]], new long[3], 2));
        Assert.Throws<ArgumentException>(() => new DataPartition("broken", [[0], [1]], new long[3], 2));
    }
}
