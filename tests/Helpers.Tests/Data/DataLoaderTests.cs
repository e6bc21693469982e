using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Data;

[Collection(TorchCollection.Name)]
public class DataLoaderTests
{
    private static List<long[]> Epoch(DataLoader loader, int n)
    {
        var batches = new List<long[]>();
        foreach (var batch in loader)
            using (batch)
            {
                Assert.Equal(batch.Count, batch.Images.shape[0]);
                Assert.Equal(DeviceType.CPU, batch.Images.device_type);
                long[] ids = TestData.Ids(batch.Images, n);
                Assert.Equal(ids.Select(id => id % 10), batch.Labels.data<long>().ToArray()); // labels stay with their images
                batches.Add(ids);
            }
        return batches;
    }

    [Fact]
    public void EveryExampleComesExactlyOncePerEpoch()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(103);
        var loader = new DataLoader(data, batchSize: 10, shuffle: true, seed: 3);
        Assert.Equal(11, loader.BatchCount);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var batches = Epoch(loader, 103);
            Assert.Equal(11, batches.Count);
            Assert.All(batches.SkipLast(1), b => Assert.Equal(10, b.Length));
            Assert.Equal(3, batches[^1].Length);
            Assert.Equal(Enumerable.Range(0, 103).Select(i => (long)i), batches.SelectMany(b => b).Order());
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameEpochsAndConsecutiveEpochsDiffer()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(64);
        var one = new DataLoader(data, 16, shuffle: true, seed: 42);
        var two = new DataLoader(data, 16, shuffle: true, seed: 42);
        var other = new DataLoader(data, 16, shuffle: true, seed: 43);
        long[] first = Epoch(one, 64).SelectMany(b => b).ToArray();
        long[] second = Epoch(one, 64).SelectMany(b => b).ToArray();
        Assert.Equal(first, Epoch(two, 64).SelectMany(b => b));
        Assert.Equal(second, Epoch(two, 64).SelectMany(b => b));
        Assert.NotEqual(first, second);
        Assert.NotEqual(first, Epoch(other, 64).SelectMany(b => b));
        Assert.NotEqual(Enumerable.Range(0, 64).Select(i => (long)i), first);
    }

    [Fact]
    public void WithoutShuffleTheOrderIsTheDataSetOrder()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(10);
        var loader = new DataLoader(data, 4);
        var batches = Epoch(loader, 10);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, batches[0]);
        Assert.Equal(new long[] { 8, 9 }, batches[2]);
        Assert.Equal(batches.SelectMany(b => b), Epoch(loader, 10).SelectMany(b => b));
    }

    [Theory]
    [InlineData(10, 3, false, 4)]
    [InlineData(10, 3, true, 3)]
    [InlineData(9, 3, false, 3)]
    [InlineData(9, 3, true, 3)]
    [InlineData(2, 5, false, 1)]
    [InlineData(2, 5, true, 0)]
    public void DropLastSkipsOnlyAnIncompleteLastBatch(int n, int batchSize, bool dropLast, int batches)
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(n);
        var loader = new DataLoader(data, batchSize, shuffle: true, dropLast: dropLast);
        Assert.Equal(batches, loader.BatchCount);
        var epoch = Epoch(loader, n);
        Assert.Equal(batches, epoch.Count);
        if (dropLast) Assert.All(epoch, b => Assert.Equal(batchSize, b.Length));
        else Assert.Equal(n, epoch.Sum(b => b.Length));
    }

    [Fact]
    public void ABatchSizeBelowOneIsRefused()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, 0));
        Assert.Contains("at least 1", e.Message);
    }
}
