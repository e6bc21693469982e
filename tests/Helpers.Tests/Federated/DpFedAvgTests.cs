using ModelSecurity.Federated;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Privacy.Accounting;

namespace ModelSecurity.Tests.Federated;

public class DpFedAvgTests
{
    [Fact]
    public void ClippingBoundsTheNorm()
    {
        Assert.Equal(new[] { 0.6f, 0.8f }, DpFedAvg.Clip([3f, 4f], 1.0));
        Assert.Equal(new[] { 0.3f, 0.4f }, DpFedAvg.Clip([0.3f, 0.4f], 1.0)); // already short enough: unchanged
        float[] original = [3f, 4f];
        DpFedAvg.Clip(original, 1.0);
        Assert.Equal(new[] { 3f, 4f }, original);
    }

    [Fact]
    public void AverageUsesTheFixedDenominatorQN()
    {
        // S = 1, q = 0.5, N = 4: qN = 2. Clipped updates [0.6, 0.8] and [0.3, 0.4]; (0.9, 1.2) / 2 = (0.45, 0.6).
        var dp = new DpFedAvg(clipNorm: 1, noiseMultiplier: 1e-12, clientFraction: 0.5, totalClients: 4);
        float[] result = dp.Aggregate(1, [1f, 1f], [new ClientUpdate(0, [3f, 4f], 10), new ClientUpdate(1, [0.3f, 0.4f], 1000)]);
        Assert.Equal(1.45f, result[0], 1e-6f);
        Assert.Equal(1.6f, result[1], 1e-6f);
        Assert.Equal(0.5, dp.LastClippedFraction);
        Assert.Equal(2.0, dp.ExpectedClients);
    }

    [Fact]
    public void NoiseHasStandardDeviationSigmaSOverQN()
    {
        var dp = new DpFedAvg(clipNorm: 2, noiseMultiplier: 1.0, clientFraction: 0.1, totalClients: 100, seed: 3);
        Assert.Equal(0.2, dp.NoiseStandardDeviation, 12);
        float[] result = dp.Aggregate(1, new float[200_000], []); // an empty round still adds noise
        double mean = result.Average(x => (double)x);
        double std = Math.Sqrt(result.Average(x => (x - mean) * (x - mean)));
        Assert.InRange(mean, -0.003, 0.003);
        Assert.InRange(std, 0.198, 0.202);
        Assert.Equal(1, dp.Accountant.TotalSteps);
        // Seeded: the same round gives the same noise, another round other noise.
        var twin = new DpFedAvg(clipNorm: 2, noiseMultiplier: 1.0, clientFraction: 0.1, totalClients: 100, seed: 3);
        Assert.Equal(result, twin.Aggregate(1, new float[200_000], []));
        Assert.NotEqual(result, twin.Aggregate(2, new float[200_000], []));
    }

    [Fact]
    public void EpsilonGrowsWithRoundsAndMatchesTheAccountant()
    {
        var dp = new DpFedAvg(clipNorm: 1, noiseMultiplier: 1.1, clientFraction: 0.05, totalClients: 1000, delta: 1e-5);
        Assert.Equal(0, dp.Epsilon);
        var update = new[] { new ClientUpdate(0, [0.1f], 1) };
        float[] w = [0f];
        var epsilons = new List<double>();
        for (int round = 1; round <= 50; round++)
        {
            w = dp.Aggregate(round, w, update);
            if (round is 1 or 10 or 50) epsilons.Add(dp.Epsilon);
        }
        Assert.True(epsilons[0] < epsilons[1] && epsilons[1] < epsilons[2], string.Join(", ", epsilons));
        var reference = new RdpAccountant();
        reference.Step(1.1, 0.05, 50);
        Assert.Equal(reference.GetEpsilon(1e-5), epsilons[2], 10);
        Assert.Equal(50, dp.Accountant.TotalSteps);
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(0, 1, 0.1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(1, 0, 0.1, 10));
        var c = Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(1, 1, 1.5, 10));
        Assert.Contains("(0, 1]", c.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(1, 1, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(1, 1, 0.1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(1, 1, 0.1, 10, delta: 1));
    }
}
