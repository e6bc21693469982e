using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Data;

/// <summary>
/// Cuts an <see cref="ImageDataset"/> into mini-batches, optionally shuffled, and moves each batch to a device.
/// Every enumeration is one epoch: with <c>shuffle</c>, epoch e uses an order derived from (seed, e), so two loaders
/// built with the same seed give the same sequence of epochs, while consecutive epochs differ.
/// </summary>
/// <example>
/// <code>
/// var loader = new DataLoader(train, batchSize: 64, device: TorchRuntime.PickDevice(), shuffle: true, seed: 1);
/// for (int epoch = 0; epoch &lt; 3; epoch++)
///     foreach (var batch in loader)
///     {
///         using var scope = torch.NewDisposeScope();
///         using (batch) { /* forward, loss, backward, step on batch.Images and batch.Labels */ }
///     }
/// </code>
/// </example>
public sealed class DataLoader : IEnumerable<Batch>
{
    private readonly Device _device;
    private int _epochs;

    /// <summary>Creates a loader over <paramref name="data"/>, which it does not own (dispose the data set separately).</summary>
    /// <param name="data">The examples.</param>
    /// <param name="batchSize">Examples per batch, at least 1; the last batch may be smaller unless <paramref name="dropLast"/>.</param>
    /// <param name="device">Where batches go; default the CPU.</param>
    /// <param name="shuffle">Reorder the examples at random every epoch.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="dropLast">Skip a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    public DataLoader(ImageDataset data, int batchSize, Device? device = null, bool shuffle = false, int seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"The batch size must be at least 1 (data set '{data.Name}' has {data.Count} examples); typical values are 32 to 256.");
        Dataset = data;
        BatchSize = batchSize;
        _device = device ?? CPU;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
    }

    /// <summary>The data set batches are cut from.</summary>
    public ImageDataset Dataset { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the shuffling.</summary>
    public int Seed { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Device the batches are moved to.</summary>
    public Device Device => _device;

    /// <summary>Batches per epoch: N / batchSize rounded down with <see cref="DropLast"/>, up otherwise.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Starts the next epoch (the first call is epoch 0).</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int epoch = Interlocked.Increment(ref _epochs) - 1;
        return Enumerate(Order(Dataset.Count, Shuffle, Seed, epoch));
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The order of the examples in epoch <paramref name="epoch"/>: identity, or a permutation derived from (seed, epoch).</summary>
    internal static long[] Order(int count, bool shuffle, int seed, int epoch)
    {
        long[] order = new long[count];
        for (int i = 0; i < count; i++) order[i] = i;
        if (!shuffle) return order;
        var random = new Random(EpochSeed(seed, epoch));
        for (int i = count - 1; i > 0; i--) // Fisher-Yates, spelled out so the order does not depend on the .NET version
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Mixes seed and epoch (SplitMix64 finaliser) into a seed for <see cref="Random"/>; stable across runs and platforms.</summary>
    internal static int EpochSeed(int seed, int epoch)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)epoch) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    private IEnumerator<Batch> Enumerate(long[] order)
    {
        int batches = BatchCount;
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, order.Length - start);
            yield return Gather(Dataset, order.AsSpan(start, size).ToArray(), _device);
        }
    }

    /// <summary>
    /// Copies the examples at <paramref name="indices"/> (possibly none) into a new batch on <paramref name="device"/>;
    /// shared with the other samplers (e.g. Poisson sampling for DP-SGD).
    /// </summary>
    internal static Batch Gather(ImageDataset dataset, long[] indices, Device device)
    {
        using var index = tensor(indices, ScalarType.Int64);
        Tensor images = dataset.Images.index_select(0, index);
        Tensor labels = dataset.Labels.index_select(0, index);
        if (device.type != DeviceType.CPU)
        {
            using var cpuImages = images;
            using var cpuLabels = labels;
            images = cpuImages.to(device);
            labels = cpuLabels.to(device);
        }
        return new Batch(images, labels);
    }
}
