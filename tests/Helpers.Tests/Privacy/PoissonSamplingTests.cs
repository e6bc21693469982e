using ModelSecurity.Privacy;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

public class PoissonSamplingTests
{
    [Fact]
    public void BatchSizesHaveMeanQNAndBinomialVariance()
    {
        const int n = 1000, draws = 4000;
        const double q = 0.05;
        var random = new Random(1);
        var sizes = new double[draws];
        var hits = new int[n];
        for (int d = 0; d < draws; d++)
        {
            long[] sample = PoissonDataLoader.Sample(n, q, random);
            sizes[d] = sample.Length;
            Assert.True(sample.Zip(sample.Skip(1)).All(p => p.First < p.Second), "indices ascending and distinct");
            Assert.All(sample, i => Assert.InRange(i, 0, n - 1));
            foreach (long i in sample) hits[i]++;
        }
        double mean = sizes.Average(), variance = sizes.Select(s => (s - mean) * (s - mean)).Sum() / (draws - 1);
        double wantMean = q * n, wantVariance = n * q * (1 - q);
        Assert.True(Math.Abs(mean - wantMean) < 4 * Math.Sqrt(wantVariance / draws), $"mean batch size {mean:F2}, expected {wantMean}");
        Assert.True(Math.Abs(variance / wantVariance - 1) < 0.1, $"batch size variance {variance:F1}, expected {wantVariance:F1}");
        // every example is equally likely to be drawn: counts ~ Binomial(4000, 0.05), mean 200, sd ≈ 13.8
        Assert.InRange(hits.Min(), 130, 200);
        Assert.InRange(hits.Max(), 200, 270);
        Assert.True(Math.Abs(hits.Take(n / 2).Sum() - hits.Skip(n / 2).Sum()) < 4 * Math.Sqrt(2 * draws * wantMean), "no bias to either half");
    }

    [Fact]
    public void QOfOneTakesEverythingAndTheLoaderIsSeeded()
    {
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long)i), PoissonDataLoader.Sample(7, 1.0, new Random(2)));

        using var data = DpTestData.Images(50, seed: 3);
        var loader = new PoissonDataLoader(data, 0.1, seed: 4);
        Assert.Equal(10, loader.BatchCount);
        Assert.Equal(5.0, loader.ExpectedBatchSize, 12);
        static string Epoch(PoissonDataLoader l) => string.Join("|", l.Select(b =>
        {
            using (b) return string.Join(",", b.Labels.data<long>().ToArray());
        }));
        string epoch0 = Epoch(loader), epoch1 = Epoch(loader);
        Assert.Equal(epoch0, Epoch(new PoissonDataLoader(data, 0.1, seed: 4)));
        Assert.NotEqual(epoch0, epoch1);
        Assert.NotEqual(epoch0, Epoch(new PoissonDataLoader(data, 0.1, seed: 5)));
        Assert.True(epoch0.Split('|').Select(b => b.Length == 0 ? 0 : b.Split(',').Length).Distinct().Count() > 1, "batch sizes vary");
    }

    [Fact]
    public void EmptyBatchesMakeANoiseOnlyStep()
    {
        using var scope = NewDisposeScope();
        using var data = DpTestData.Images(20, seed: 5);
        var model = DpTestData.ConvNet(seed: 6);
        var before = DpTestData.Snapshot(model);
        using var sgd = optim.SGD(model.parameters(), 1.0);
        var engine = new PrivacyEngine();
        using var training = engine.MakePrivate(model, sgd, data, noiseMultiplier: 1.0, maxGradNorm: 1.0, sampleRate: 0.01, seed: 7);
        ModelSecurity.Data.Batch? empty = null;
        foreach (var batch in training.Loader) // q·N = 0.2: most batches are empty
        {
            if (batch.Count == 0)
            {
                empty = batch;
                break;
            }
            batch.Dispose();
        }
        Assert.NotNull(empty);
        using (empty)
        {
            Assert.Equal(new long[] { 0, 1, 8, 8 }, empty.Images.shape);
            var result = training.Optimizer.Step(empty.Images, empty.Labels);
            Assert.Equal(0, result.Count);
            Assert.Equal(0, result.PhysicalBatches);
            Assert.Equal(0, result.ClippedFraction);
        }
        Assert.True(DpTestData.MaxDifference(before, DpTestData.Snapshot(model)) > 0, "noise moved the weights");
        Assert.Equal(1, engine.Steps);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }
}
