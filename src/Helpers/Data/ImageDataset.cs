using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Data;

/// <summary>
/// A labelled image data set held in memory on the CPU: <see cref="Images"/> (float32, shape (N, C, H, W),
/// values in [0, 1]) and <see cref="Labels"/> (int64, shape (N), values 0 .. <see cref="NumClasses"/> - 1).
/// </summary>
/// <remarks>
/// The data set owns its two tensors: they are taken out of any dispose scope and freed by <see cref="Dispose"/>.
/// Methods that derive a new data set (<see cref="Subset"/>, <see cref="Take"/>, <see cref="Select"/>) copy the
/// examples, so the result can be modified and disposed independently.
/// </remarks>
public sealed class ImageDataset : IDisposable
{
    private readonly string[] _classNames;
    private bool _disposed;

    /// <summary>
    /// Wraps image and label tensors after checking them, taking ownership of both.
    /// </summary>
    /// <param name="name">Display name, for example "Fashion-MNIST test".</param>
    /// <param name="images">float32 tensor of shape (N, C, H, W) on the CPU with values in [0, 1].</param>
    /// <param name="labels">int64 tensor of shape (N) on the CPU with values in 0 .. classNames.Count - 1.</param>
    /// <param name="classNames">Name of each class, indexed by label.</param>
    /// <exception cref="ArgumentException">A tensor has the wrong type, shape, device or value range; the message says which and how to fix it.</exception>
    public ImageDataset(string name, Tensor images, Tensor labels, IReadOnlyList<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
            throw new ArgumentException($"Data set '{name}': give at least one class name.", nameof(classNames));
        if (classNames.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"Data set '{name}': class names must not be empty.", nameof(classNames));
        Validate(name, images, labels, classNames.Count);

        Name = name;
        _classNames = classNames.ToArray();
        ClassNames = Array.AsReadOnly(_classNames);
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        Count = (int)labels.shape[0];
    }

    /// <summary>Display name.</summary>
    public string Name { get; }

    /// <summary>Images: float32, shape (N, C, H, W), values in [0, 1], on the CPU. Owned by this data set.</summary>
    public Tensor Images { get; }

    /// <summary>Labels: int64, shape (N), values 0 .. <see cref="NumClasses"/> - 1, on the CPU. Owned by this data set.</summary>
    public Tensor Labels { get; }

    /// <summary>Name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of examples N.</summary>
    public int Count { get; }

    /// <summary>Number of classes (length of <see cref="ClassNames"/>).</summary>
    public int NumClasses => _classNames.Length;

    /// <summary>
    /// A random subset of <paramref name="count"/> distinct examples, the same for the same seed, kept in their original order.
    /// </summary>
    /// <param name="count">How many examples, 0 .. <see cref="Count"/>; <see cref="Count"/> gives a copy of the whole set.</param>
    /// <param name="seed">Seed of the choice.</param>
    /// <exception cref="ArgumentException"><paramref name="count"/> is negative or larger than <see cref="Count"/>.</exception>
    public ImageDataset Subset(int count, int seed)
    {
        ThrowIfDisposed();
        CheckCount(count, nameof(count));
        long[] chosen = ChooseDistinct(count, seed).Select(i => (long)i).Order().ToArray();
        return Derive($"{Name} (random {count}, seed {seed})", chosen);
    }

    /// <summary><paramref name="count"/> distinct indices drawn uniformly (a partial Fisher–Yates shuffle), the same for the same seed.</summary>
    private IEnumerable<int> ChooseDistinct(int count, int seed)
    {
        int[] order = Enumerable.Range(0, Count).ToArray();
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, Count);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(count);
    }

    /// <summary>
    /// Splits the set into two disjoint parts: <paramref name="validationCount"/> random examples held out for validation
    /// (learning curves, early stopping, choosing hyper-parameters) and the rest for training. Use it on the training set,
    /// so that the test set is touched only for the final numbers. The same seed gives the same split.
    /// </summary>
    /// <param name="validationCount">Examples held out, 1 .. <see cref="Count"/> - 1.</param>
    /// <param name="seed">Seed of the choice.</param>
    /// <returns>The remaining examples (Train) and the held-out ones (Validation), each in original order; both are copies the caller disposes.</returns>
    /// <exception cref="ArgumentException"><paramref name="validationCount"/> leaves no example on one side.</exception>
    public (ImageDataset Train, ImageDataset Validation) SplitValidation(int validationCount, int seed = 0)
    {
        ThrowIfDisposed();
        if (validationCount < 1 || validationCount >= Count)
            throw new ArgumentException(
                $"Data set '{Name}' has {Count} examples; a validation split must hold out between 1 and {Count - 1} of them, not {validationCount}.",
                nameof(validationCount));
        var held = new HashSet<int>(ChooseDistinct(validationCount, seed));
        long[] validation = held.Order().Select(i => (long)i).ToArray();
        long[] rest = Enumerable.Range(0, Count).Where(i => !held.Contains(i)).Select(i => (long)i).ToArray();
        return (Derive($"{Name} (training part, {validationCount} held out, seed {seed})", rest),
                Derive($"{Name} (validation, {validationCount} held out, seed {seed})", validation));
    }

    /// <summary>The first <paramref name="count"/> examples, copied.</summary>
    /// <param name="count">How many examples, 0 .. <see cref="Count"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="count"/> is negative or larger than <see cref="Count"/>.</exception>
    public ImageDataset Take(int count)
    {
        ThrowIfDisposed();
        CheckCount(count, nameof(count));
        long[] first = new long[count];
        for (int i = 0; i < count; i++) first[i] = i;
        return Derive($"{Name} (first {count})", first);
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order (repetitions allowed), copied.</summary>
    /// <param name="indices">Indices 0 .. <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentException">An index is out of range.</exception>
    public ImageDataset Select(long[] indices)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(indices);
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] < 0 || indices[i] >= Count)
                throw new ArgumentException(
                    $"Data set '{Name}' has {Count} examples (indices 0..{Count - 1}); indices[{i}] = {indices[i]} is out of range.", nameof(indices));
        return Derive($"{Name} ({indices.Length} selected)", indices);
    }

    /// <summary>
    /// A short hash (16 hex digits of SHA-256) of the images' and labels' bytes: equal for data sets with the same examples
    /// in the same order, different (but for a 2⁻⁶⁴ chance) otherwise. Stored with a checkpoint, it says exactly which
    /// training rows the model saw, where a description such as "without the flagged rows" cannot.
    /// </summary>
    public string Fingerprint()
    {
        ThrowIfDisposed();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        // One block per tensor through .bytes (data<T>() would copy element by element); both are contiguous CPU tensors.
        using (var images = Images.contiguous()) hash.AppendData(images.bytes);
        using (var labels = Labels.contiguous()) hash.AppendData(labels.bytes);
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>
    /// One example as a batch of one, ready for a model: images of shape (1, C, H, W) and labels of shape (1).
    /// Both are copies (modifying them leaves the data set intact) that belong to the caller (and to the current dispose scope).
    /// </summary>
    /// <param name="index">Index 0 .. <see cref="Count"/> - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public (Tensor Images, Tensor Labels) Get(int index)
    {
        ThrowIfDisposed();
        if (index < 0 || index >= Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Data set '{Name}' has {Count} examples (indices 0..{Count - 1}).");
        using var image = Images.narrow(0, index, 1);
        using var label = Labels.narrow(0, index, 1);
        return (image.clone(), label.clone());
    }

    /// <summary>
    /// Loads a data set from an IDX image file (ubyte, dimensions count × rows × columns) and an IDX label file
    /// (integers, dimension count). Pixels become float32 divided by 255, with one channel: shape (N, 1, rows, columns).
    /// </summary>
    /// <param name="name">Display name.</param>
    /// <param name="imagesPath">IDX image file, gzipped or raw.</param>
    /// <param name="labelsPath">IDX label file, gzipped or raw.</param>
    /// <param name="classNames">Name of each class, indexed by label.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, has the wrong shape or type, or the files do not belong together.</exception>
    public static ImageDataset FromIdx(string name, string imagesPath, string labelsPath, IReadOnlyList<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(classNames);
        string imagesFull = Path.GetFullPath(imagesPath), labelsFull = Path.GetFullPath(labelsPath);
        IdxArray images = IdxFile.Read(imagesFull);
        IdxArray labels = IdxFile.Read(labelsFull);
        string pair = $" (images: {imagesFull}; labels: {labelsFull})";

        if (images.Dimensions.Length != 3)
            throw new InvalidDataException(
                $"{imagesFull}: expected images as a 3-dimensional IDX array (count × rows × columns), found {images.Dimensions.Length} " +
                $"dimensions [{string.Join("×", images.Dimensions)}]. Were the image and label files swapped?{pair}");
        if (images.Type != IdxType.UByte)
            throw new InvalidDataException($"{imagesFull}: expected ubyte pixels (IDX type 0x08), found {images.Type}.{pair}");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException(
                $"{labelsFull}: expected labels as a 1-dimensional IDX array, found {labels.Dimensions.Length} dimensions " +
                $"[{string.Join("×", labels.Dimensions)}]. Were the image and label files swapped?{pair}");
        if (labels.Type is IdxType.Float32 or IdxType.Float64)
            throw new InvalidDataException($"{labelsFull}: expected integer labels, found {labels.Type}.{pair}");
        int n = images.Dimensions[0];
        if (labels.Dimensions[0] != n)
            throw new InvalidDataException(
                $"{imagesFull} holds {n} images but {labelsFull} holds {labels.Dimensions[0]} labels. The two files must come from " +
                "the same split of the same release; re-download or restore them.");

        long[] labelValues = DecodeIntegers(labels);
        for (int i = 0; i < labelValues.Length; i++)
            if (labelValues[i] < 0 || labelValues[i] >= classNames.Count)
                throw new InvalidDataException(
                    $"{labelsFull}: label {labelValues[i]} at index {i} is outside 0..{classNames.Count - 1} ({classNames.Count} classes). " +
                    $"The file is damaged or belongs to another data set.{DataErrors.RestoreHint(labelsFull)}");

        using var scope = NewDisposeScope();
        Tensor pixels = torch.tensor(images.Bytes, new long[] { n, 1, images.Dimensions[1], images.Dimensions[2] });
        Tensor floats = pixels.to_type(ScalarType.Float32).div_(255f);
        Tensor labelTensor = torch.tensor(labelValues);
        return new ImageDataset(name, floats, labelTensor, classNames); // takes the two tensors out of the scope
    }

    /// <summary>For example "Fashion-MNIST test: 10000 images of 1×28×28, 10 classes".</summary>
    public override string ToString() =>
        _disposed ? $"{Name} (disposed)" : $"{Name}: {Count} images of {string.Join("×", Images.shape.Skip(1))}, {NumClasses} classes";

    /// <summary>Frees the image and label tensors. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Images.Dispose();
        Labels.Dispose();
    }

    private ImageDataset Derive(string name, long[] indices)
    {
        using var scope = NewDisposeScope();
        Tensor index = torch.tensor(indices, ScalarType.Int64);
        return new ImageDataset(name, Images.index_select(0, index), Labels.index_select(0, index), _classNames);
    }

    private void CheckCount(int count, string parameter)
    {
        if (count < 0)
            throw new ArgumentException($"Cannot take {count} examples; the count must be 0 or more.", parameter);
        if (count > Count)
            throw new ArgumentException($"Asked for {count} examples, but data set '{Name}' has only {Count}.", parameter);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static void Validate(string name, Tensor images, Tensor labels, int classCount)
    {
        string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
        if (images.dtype != ScalarType.Float32)
            throw new ArgumentException(
                $"Data set '{name}': images must be float32 with values in [0, 1], not {images.dtype}. " +
                "For byte pixels use images.to_type(ScalarType.Float32) / 255.", nameof(images));
        if (images.dim() != 4 || images.shape.Skip(1).Any(s => s <= 0))
            throw new ArgumentException(
                $"Data set '{name}': images must have shape (N, C, H, W) with C, H, W > 0, not {Shape(images)}. " +
                "For one-channel images of shape (N, H, W) use images.unsqueeze(1).", nameof(images));
        if (images.device_type != DeviceType.CPU)
            throw new ArgumentException(
                $"Data set '{name}': images must be on the CPU, not {images.device}; pass images.cpu(). " +
                "(The DataLoader moves each batch to the compute device.)", nameof(images));
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException(
                $"Data set '{name}': labels must be int64, not {labels.dtype}; use labels.to_type(ScalarType.Int64).", nameof(labels));
        if (labels.dim() != 1)
            throw new ArgumentException($"Data set '{name}': labels must have shape (N), not {Shape(labels)}.", nameof(labels));
        if (labels.device_type != DeviceType.CPU)
            throw new ArgumentException($"Data set '{name}': labels must be on the CPU, not {labels.device}; pass labels.cpu().", nameof(labels));
        if (images.shape[0] != labels.shape[0])
            throw new ArgumentException(
                $"Data set '{name}': {images.shape[0]} images but {labels.shape[0]} labels; there must be one label per image.", nameof(labels));
        if (labels.shape[0] > int.MaxValue)
            throw new ArgumentException($"Data set '{name}': {labels.shape[0]} examples is more than this class supports.", nameof(labels));
        if (labels.shape[0] == 0) return;

        using var scope = NewDisposeScope();
        long low = labels.min().item<long>(), high = labels.max().item<long>();
        if (low < 0 || high >= classCount)
            throw new ArgumentException(
                $"Data set '{name}': labels range over {low}..{high}, but with {classCount} class names the valid labels are 0..{classCount - 1}.",
                nameof(labels));
        if (images.isnan().any().item<bool>())
            throw new ArgumentException($"Data set '{name}': images contain NaN values.", nameof(images));
        float min = images.min().item<float>(), max = images.max().item<float>();
        if (min < 0f || max > 1f)
            throw new ArgumentException(
                $"Data set '{name}': pixel values range over {min}..{max}, outside [0, 1]. Scale them, e.g. divide byte values by 255.",
                nameof(images));
    }

    /// <summary>Integer IDX payload (big-endian) to 64-bit values.</summary>
    private static long[] DecodeIntegers(IdxArray array)
    {
        byte[] b = array.Bytes;
        long[] values = new long[array.ElementCount];
        for (int i = 0; i < values.Length; i++)
            values[i] = array.Type switch
            {
                IdxType.UByte => b[i],
                IdxType.SByte => (sbyte)b[i],
                IdxType.Int16 => BinaryPrimitives.ReadInt16BigEndian(b.AsSpan(2 * i)),
                IdxType.Int32 => BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4 * i)),
                _ => throw new InvalidOperationException($"{array.Type} is not an integer type."),
            };
        return values;
    }
}
