using ModelSecurity.Federated;
using ModelSecurity.Federated.Strategies;

namespace ModelSecurity.Tests.Federated;

public class AggregationTests
{
    private static ClientUpdate U(int id, int samples, params float[] delta) => new(id, delta, samples);

    private static float[] RandomVector(int length, Random random, double scale = 1) =>
        Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();

    [Fact]
    public void FedAvgOfIdenticalClientModelsIsThatModel()
    {
        var random = new Random(1);
        float[] global = RandomVector(1000, random), local = RandomVector(1000, random);
        var updates = new[] { 7, 100, 3 }.Select((n, k) => ClientUpdate.FromWeights(k, global, local, n)).ToList();
        float[] result = new FedAvg().Aggregate(1, global, updates);
        for (int i = 0; i < local.Length; i++) Assert.Equal(local[i], result[i], 1e-6f);
        Assert.Equal(1000, global.Length); // inputs untouched
        Assert.All(updates, u => Assert.Equal(1000, u.Delta.Length));
    }

    [Fact]
    public void FedAvgWeightsBySampleCount()
    {
        // Δ̄ = (1·[1, 2] + 3·[3, 4]) / 4 = [2.5, 3.5]
        float[] result = new FedAvg().Aggregate(1, [1f, -1f], [U(0, 1, 1f, 2f), U(1, 3, 3f, 4f)]);
        Assert.Equal(new[] { 3.5f, 2.5f }, result);
        // A server learning rate scales the step: w + 0.5·Δ̄
        Assert.Equal(new[] { 2.25f, 0.75f }, new FedAvg(0.5).Aggregate(1, [1f, -1f], [U(0, 1, 1f, 2f), U(1, 3, 3f, 4f)]));
        Assert.Equal(new[] { 2.5, 3.5 }, FedAvg.WeightedMean([U(0, 1, 1f, 2f), U(1, 3, 3f, 4f)]));
    }

    [Fact]
    public void NoUpdateKeepsTheModelAndMismatchedLengthsAreRejected()
    {
        float[] global = [1f, 2f];
        float[] kept = new FedAvg().Aggregate(1, global, []);
        Assert.Equal(global, kept);
        Assert.NotSame(global, kept);
        var e = Assert.Throws<ArgumentException>(() => new FedAvg().Aggregate(1, global, [U(4, 1, 1f, 2f, 3f)]));
        Assert.Contains("client 4", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentOutOfRangeException>(() => U(0, 0, 1f));
    }

    [Fact]
    public void MedianIgnoresAnOutlier()
    {
        float[] global = [10f, 0f];
        var updates = new[] { U(0, 1, 1f, -1f), U(1, 1, 2f, -2f), U(2, 1, 3f, -3f), U(3, 1, 4f, -4f), U(4, 1000, 1000f, -1e6f) };
        Assert.Equal(new[] { 13f, -3f }, new CoordinateWiseMedian().Aggregate(1, global, updates)); // medians 3 and −3
        // Even count: the mean of the two middle values (2 and 3).
        Assert.Equal(new[] { 12.5f, -2.5f }, new CoordinateWiseMedian().Aggregate(1, global, updates[..3].Append(updates[4]).ToList()));
    }

    [Fact]
    public void TrimmedMeanCutsBothTails()
    {
        var updates = new[] { U(0, 1, 1f), U(1, 1, 2f), U(2, 1, 3f), U(3, 1, 4f), U(4, 1, 1000f) };
        var trimmed = new TrimmedMean(0.2); // ⌊0.2·5⌋ = 1 per side: mean of 2, 3, 4
        Assert.Equal(1, trimmed.TrimmedPerSide(5));
        Assert.Equal(new[] { 3f }, trimmed.Aggregate(1, [0f], updates));
        Assert.Equal(new[] { 202f }, new TrimmedMean(0).Aggregate(1, [0f], updates)); // β = 0 is the plain mean
        Assert.Equal(new[] { 3f }, new TrimmedMean(0.45).Aggregate(1, [0f], updates)); // ⌊2.25⌋ = 2 per side: the median
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMean(0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMean(-0.1));
    }

    [Fact]
    public void KrumPicksAnHonestUpdateAndMultiKrumAveragesTheBest()
    {
        var updates = new List<ClientUpdate>
        {
            U(0, 1, 1.0f, 1.0f), U(1, 1, 1.1f, 0.9f), U(2, 1, 0.9f, 1.1f), U(3, 1, 1.05f, 1.0f), U(4, 1, 100f, -100f), U(5, 1, 1.0f, 0.95f),
        };
        var krum = new Krum(byzantine: 1);
        float[] result = krum.Aggregate(1, [0f, 0f], updates);
        Assert.DoesNotContain(4, krum.LastSelectedClients);
        Assert.Single(krum.LastSelectedClients);
        Assert.Equal(updates[krum.LastSelectedClients[0]].Delta, result);
        Assert.Equal(krum.LastScores.Max(), krum.LastScores[4]); // the outlier has the worst score

        var multi = new Krum(byzantine: 1, selected: 3);
        float[] averaged = multi.Aggregate(1, [0f, 0f], updates);
        Assert.Equal(3, multi.LastSelectedClients.Count);
        Assert.DoesNotContain(4, multi.LastSelectedClients);
        Assert.InRange(averaged[0], 0.9f, 1.1f);
        Assert.InRange(averaged[1], 0.9f, 1.1f);
    }

    [Fact]
    public void KrumRefusesMoreByzantineClientsThanItTolerates()
    {
        var updates = Enumerable.Range(0, 6).Select(k => U(k, 1, k)).ToList();
        var e = Assert.Throws<ArgumentException>(() => new Krum(byzantine: 2).Aggregate(1, [0f], updates));
        Assert.Contains("2f + 3 = 7", e.Message);
        new Krum(byzantine: 1).Aggregate(1, [0f], updates); // 6 ≥ 2·1 + 3
        Assert.Throws<ArgumentOutOfRangeException>(() => new Krum(byzantine: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Krum(byzantine: 1, selected: 0));
        Assert.Equal(7, new Krum(2).MinimumUpdates);
    }

    [Fact]
    public void FedAvgMAddsMomentum()
    {
        var strategy = new FedAvgM(serverLearningRate: 0.5, momentum: 0.9);
        float[] w1 = strategy.Aggregate(1, [1f], [U(0, 1, 2f)]);    // v = 2, w = 1 + 0.5·2 = 2
        Assert.Equal(2f, w1[0], 6);
        float[] w2 = strategy.Aggregate(2, w1, [U(0, 1, 1f), U(1, 3, 3f)]); // Δ̄ = 2.5, v = 0.9·2 + 2.5 = 4.3, w = 2 + 2.15
        Assert.Equal(4.15f, w2[0], 6);
        Assert.Equal(4.3, strategy.Velocity![0], 12);
        // β = 0, η = 1 is FedAvg.
        Assert.Equal(new FedAvg().Aggregate(1, [1f], [U(0, 1, 1f), U(1, 3, 3f)]), new FedAvgM(1, 0).Aggregate(1, [1f], [U(0, 1, 1f), U(1, 3, 3f)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FedAvgM(momentum: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FedAvgM(serverLearningRate: 0));
    }

    [Fact]
    public void FedAdamFollowsReddiEtAlAlgorithm2()
    {
        const double eta = 0.1, b1 = 0.9, b2 = 0.99, tau = 1e-3;
        var strategy = new FedAdam(eta, b1, b2, tau);
        float[] w1 = strategy.Aggregate(1, [1f, -1f], [U(0, 1, 0.5f, -0.02f)]);
        double m = (1 - b1) * 0.5, v = b2 * tau * tau + (1 - b2) * 0.25;          // m₀ = 0, v₀ = τ²
        Assert.Equal(1 + eta * m / (Math.Sqrt(v) + tau), w1[0], 6);
        double m2 = (1 - b1) * -0.02, v2 = b2 * tau * tau + (1 - b2) * 0.0004;
        Assert.Equal(-1 + eta * m2 / (Math.Sqrt(v2) + tau), w1[1], 6);

        float[] w2 = strategy.Aggregate(2, w1, [U(0, 1, -0.1f, 0f)]);
        double mb = b1 * m + (1 - b1) * -0.1, vb = b2 * v + (1 - b2) * 0.01;
        Assert.Equal(w1[0] + eta * mb / (Math.Sqrt(vb) + tau), w2[0], 6);
        Assert.Equal(mb, strategy.FirstMoment![0], 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(beta2: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(tau: 0));
    }
}
