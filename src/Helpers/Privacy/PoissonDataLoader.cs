using System.Collections;
using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// Batches by Poisson sampling: in every batch each example of the data set is included independently with
/// probability q (the sample rate), so a batch has q·N examples on average and may be empty. An epoch is
/// round(1/q) batches (as in Opacus), i.e. about one pass over the data. The choice is seeded: epoch e uses a
/// generator derived from (seed, e), like <see cref="DataLoader"/>, so runs repeat exactly.
/// </summary>
/// <remarks>
/// Sampling skips ahead by geometric gaps (the gap between two included examples of a Bernoulli(q) sequence is
/// geometric), which draws the same distribution as N coin flips in O(q·N) time.
/// </remarks>
public sealed class PoissonDataLoader : IEnumerable<Batch>
{
    private readonly Device _device;
    private int _epochs;

    /// <summary>Creates a loader over <paramref name="data"/>, which it does not own.</summary>
    /// <param name="data">The examples.</param>
    /// <param name="sampleRate">q in (0, 1]: probability that an example is in a given batch (expected batch size / N).</param>
    /// <param name="device">Where batches go; default the CPU.</param>
    /// <param name="seed">Seed of the sampling.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampleRate"/> is not in (0, 1].</exception>
    public PoissonDataLoader(ImageDataset data, double sampleRate, Device? device = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        SampleRate = DpArguments.SampleRate(sampleRate);
        Dataset = data;
        _device = device ?? CPU;
        Seed = seed;
    }

    /// <summary>The data set batches are drawn from.</summary>
    public ImageDataset Dataset { get; }

    /// <summary>q, the probability that an example is in a given batch.</summary>
    public double SampleRate { get; }

    /// <summary>Seed of the sampling.</summary>
    public int Seed { get; }

    /// <summary>Device the batches are moved to.</summary>
    public Device Device => _device;

    /// <summary>q·N, the mean batch size.</summary>
    public double ExpectedBatchSize => SampleRate * Dataset.Count;

    /// <summary>Batches per epoch: round(1/q), at least 1.</summary>
    public int BatchCount => Math.Max(1, (int)Math.Round(1 / SampleRate));

    /// <summary>Starts the next epoch (the first call is epoch 0).</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int epoch = Interlocked.Increment(ref _epochs) - 1;
        var random = new Random(DataLoader.EpochSeed(Seed, epoch));
        for (int b = 0; b < BatchCount; b++)
            yield return DataLoader.Gather(Dataset, Sample(Dataset.Count, SampleRate, random), _device);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The indices (ascending) of one Poisson sample of 0 .. <paramref name="count"/> - 1: each included independently
    /// with probability <paramref name="sampleRate"/>.
    /// </summary>
    public static long[] Sample(int count, double sampleRate, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Guard.AtLeast(count, 0, nameof(count));
        DpArguments.SampleRate(sampleRate);
        if (sampleRate >= 1) return Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        var chosen = new List<long>((int)Math.Min(count, 2 * sampleRate * count + 16));
        double logMiss = Math.Log(1 - sampleRate); // < 0
        long index = -1;
        while (true)
        {
            // Examples skipped before the next included one: Geometric(q) = floor(ln U / ln(1 − q)), U uniform in (0, 1].
            double gap = Math.Floor(Math.Log(1 - random.NextDouble()) / logMiss);
            if (gap >= count - index) break;
            index += (long)gap + 1;
            if (index >= count) break;
            chosen.Add(index);
        }
        return chosen.ToArray();
    }
}
