using ModelSecurity.Federated;
using ModelSecurity.Federated.SecureAggregation;
using ModelSecurity.Federated.Strategies;

namespace ModelSecurity.Tests.Federated;

public class SecureAggregationTests
{
    private const int Length = 10_000;

    /// <summary>Five clients' updates, encoded for a sum of five.</summary>
    private static Dictionary<int, uint[]> Inputs(out Dictionary<int, float[]> plain, int clients = 5)
    {
        var random = new Random(7);
        plain = Enumerable.Range(0, clients).ToDictionary(k => k * 3 + 1, // ids need not be consecutive
            _ => Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray());
        return plain.ToDictionary(p => p.Key, p => FixedPoint.Encode(p.Value, FixedPoint.DefaultScale, clients));
    }

    private static uint[] PlainSum(IEnumerable<uint[]> vectors)
    {
        var sum = new uint[Length];
        foreach (var v in vectors) FixedPoint.AddInPlace(sum, v);
        return sum;
    }

    private static double Correlation(int[] a, int[] b)
    {
        double ma = a.Average(x => (double)x), mb = b.Average(x => (double)x), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    [Fact]
    public void MasksCancelExactlyInTheSum()
    {
        var inputs = Inputs(out var plain);
        var result = SecureAggregationProtocol.Run(inputs, round: 1);
        Assert.Equal(PlainSum(inputs.Values), result.Sum); // bit for bit, modulo 2³²
        Assert.Equal(inputs.Keys.Order(), result.Survivors);
        Assert.Empty(result.Dropped);

        float[] decoded = FixedPoint.Decode(result.Sum);
        for (int i = 0; i < Length; i += 97)
        {
            double expected = plain.Values.Sum(v => (double)v[i]);
            Assert.True(Math.Abs(decoded[i] - expected) <= 5 / (2 * FixedPoint.DefaultScale) + 1e-7, $"coordinate {i}: {decoded[i]} vs {expected}");
        }
    }

    [Fact]
    public void TheServerSeesVectorsUnrelatedToTheUpdates()
    {
        var inputs = Inputs(out _);
        var result = SecureAggregationProtocol.Run(inputs, round: 1);
        foreach (var (id, masked) in result.MaskedInputs)
        {
            int[] x = FixedPoint.AsSigned(inputs[id]), y = FixedPoint.AsSigned(masked);
            double r = Correlation(x, y);
            Assert.True(Math.Abs(r) < 0.05, $"client {id}: correlation {r:F4} between update and masked vector");
            Assert.True(x.Zip(y).Count(p => p.First == p.Second) < 10, "almost every coordinate must change");
            // The masked words spread over the whole 32-bit range, while the inputs stay within ±0.1·2²⁰.
            Assert.True(y.Count(v => Math.Abs((long)v) > 1 << 30) > Length / 3);
        }
        // A fresh round gives fresh masks.
        var again = SecureAggregationProtocol.Run(inputs, round: 2);
        Assert.NotEqual(result.MaskedInputs[1], again.MaskedInputs[1]);
        Assert.Equal(result.Sum, again.Sum);
    }

    [Fact]
    public void DropoutRecoveryGivesTheExactSumOfTheSurvivors()
    {
        var inputs = Inputs(out _);
        var result = SecureAggregationProtocol.Run(inputs, round: 3, dropouts: [4, 10]);
        Assert.Equal(new[] { 1, 7, 13 }, result.Survivors);
        Assert.Equal(new[] { 4, 10 }, result.Dropped);
        Assert.Equal(6, result.RevealedSeeds); // 3 survivors × 2 dropped
        Assert.Equal(PlainSum(result.Survivors.Select(id => inputs[id])), result.Sum);

        // Without the revealed seeds the survivors' masks with the dropped clients do not cancel.
        var unrecovered = SecureAggregationProtocol.Unmask(result.MaskedInputs, new Dictionary<(int, int), byte[]>());
        Assert.NotEqual(result.Sum, unrecovered);
        // The server cannot ask for the seed of a client whose input arrived: that would unmask it.
        using var a = new SecureAggregationClient(1);
        using var b = new SecureAggregationClient(7);
        var refused = Assert.Throws<ArgumentException>(() => SecureAggregationProtocol.Unmask(result.MaskedInputs,
            new Dictionary<(int, int), byte[]> { [(1, 7)] = a.PairwiseSeed(7, b.PublicKey, 3) }));
        Assert.Contains("did not drop out", refused.Message);
        Assert.Throws<ArgumentException>(() => SecureAggregationProtocol.Run(inputs, 3, dropouts: inputs.Keys.ToArray()));
    }

    [Fact]
    public void PairsDeriveTheSameSeedFromEcdh()
    {
        using var a = new SecureAggregationClient(2);
        using var b = new SecureAggregationClient(5);
        using var c = new SecureAggregationClient(9);
        Assert.Equal(a.PairwiseSeed(5, b.PublicKey, 1), b.PairwiseSeed(2, a.PublicKey, 1));
        Assert.NotEqual(a.PairwiseSeed(5, b.PublicKey, 1), a.PairwiseSeed(5, b.PublicKey, 2));
        Assert.NotEqual(a.PairwiseSeed(5, b.PublicKey, 1), a.PairwiseSeed(9, c.PublicKey, 1));
        Assert.Equal(32, a.PairwiseSeed(5, b.PublicKey, 1).Length);
        Assert.Throws<ArgumentException>(() => a.PairwiseSeed(2, a.PublicKey, 1));
        byte[] seed = a.PairwiseSeed(5, b.PublicKey, 1);
        Assert.Equal(MaskGenerator.Expand(seed, 100), MaskGenerator.Expand(seed, 1000)[..100]);
    }

    [Fact]
    public void FixedPointRoundTripsAndRefusesValuesThatCouldWrapAround()
    {
        float[] values = [0f, 1e-3f, -1e-3f, 3.25f, -200f];
        float[] back = FixedPoint.Decode(FixedPoint.Encode(values));
        for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(back[i] - values[i]) <= 0.5 / FixedPoint.DefaultScale + 1e-6);
        Assert.Equal(unchecked((uint)-1), FixedPoint.Encode([(float)(-1 / FixedPoint.DefaultScale)])[0]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.Encode([300f], FixedPoint.DefaultScale, summands: 10));
        Assert.Contains("wrap around", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.Encode([float.NaN]));
    }

    [Fact]
    public void SecureFedAvgMatchesFedAvgUpToRounding()
    {
        var random = new Random(3);
        float[] global = Enumerable.Range(0, 500).Select(_ => (float)random.NextDouble()).ToArray();
        var updates = Enumerable.Range(0, 6).Select(k => new ClientUpdate(k,
            Enumerable.Range(0, 500).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray(), 10 + 20 * k)).ToList();
        float[] expected = new FedAvg().Aggregate(1, global, updates);

        var secure = new SecureFedAvg();
        float[] actual = secure.Aggregate(1, global, updates);
        for (int i = 0; i < global.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        Assert.Equal(6, secure.LastResult!.MaskedInputs.Count);

        // With dropouts: the weighted mean over the survivors.
        var dropping = new SecureFedAvg(dropoutProbability: 0.5, seed: 1);
        float[] partial = dropping.Aggregate(4, global, updates);
        var survivors = dropping.LastResult!.Survivors;
        Assert.NotEmpty(dropping.LastResult.Dropped);
        float[] expectedPartial = new FedAvg().Aggregate(4, global, updates.Where(u => survivors.Contains(u.ClientId)).ToList());
        for (int i = 0; i < global.Length; i++) Assert.Equal(expectedPartial[i], partial[i], 1e-5f);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SecureFedAvg(dropoutProbability: 1));
    }
}
