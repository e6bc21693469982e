using ModelSecurity.Data;
using ModelSecurity.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Data;

/// <summary>A temporary folder, deleted with its contents on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("course-data-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Small synthetic data whose examples can be identified after shuffling.</summary>
internal static class TestData
{
    /// <summary>IDX images (n, rows, cols) of ubyte; the first pixel of image i is i, the rest pseudo-random.</summary>
    public static IdxArray IdxImages(int n, int rows = 28, int cols = 28, int seed = 1)
    {
        if (n > 256) throw new ArgumentOutOfRangeException(nameof(n));
        var random = new Random(seed);
        byte[] bytes = new byte[n * rows * cols];
        random.NextBytes(bytes);
        for (int i = 0; i < n; i++) bytes[i * rows * cols] = (byte)i;
        return new IdxArray(IdxType.UByte, [n, rows, cols], bytes);
    }

    /// <summary>IDX labels (n) of ubyte: label of example i is i mod classes.</summary>
    public static IdxArray IdxLabels(int n, int classes = 10) =>
        new(IdxType.UByte, [n], Enumerable.Range(0, n).Select(i => (byte)(i % classes)).ToArray());

    /// <summary>Writes a small gzipped MNIST-style split (e.g. prefix "t10k") into a folder; returns the two paths.</summary>
    public static (string Images, string Labels) WriteSplit(string folder, string prefix, int n, int seed = 1)
    {
        string images = Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz");
        string labels = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz");
        IdxFile.Write(images, IdxImages(n, seed: seed), gzip: true);
        IdxFile.Write(labels, IdxLabels(n), gzip: true);
        return (images, labels);
    }

    /// <summary>
    /// An in-memory data set of n examples of shape (1, 2, 2): every pixel of example i is i / n, its label i mod classes.
    /// </summary>
    public static ImageDataset Dataset(int n, int classes = 10)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        Tensor ids = arange(n, dtype: ScalarType.Float32);
        Tensor images = (ids / n).reshape(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous();
        Tensor labels = arange(n, dtype: ScalarType.Int64).remainder(classes);
        return new ImageDataset("synthetic", images, labels, Enumerable.Range(0, classes).Select(c => $"class {c}").ToArray());
    }

    /// <summary>The example ids of a batch of images made by <see cref="Dataset"/>.</summary>
    public static long[] Ids(Tensor images, int n)
    {
        using var scope = NewDisposeScope();
        return (images.cpu()[TensorIndex.Colon, 0, 0, 0] * n).round().to_type(ScalarType.Int64).data<long>().ToArray();
    }

    /// <summary>Flips all bits of the byte at <paramref name="offset"/> (default: the middle of the file).</summary>
    public static void FlipByte(string path, long? offset = null)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset ?? file.Length / 2;
        int b = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(b ^ 0xFF));
    }
}
