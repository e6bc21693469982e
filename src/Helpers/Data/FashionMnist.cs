namespace ModelSecurity.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research): 28×28 grayscale images of clothing in 10 classes, shipped with the course in
/// data/fashion-mnist and verified against its SHA256SUMS before every first read in a process.
/// </summary>
public static class FashionMnist
{
    /// <summary>Name of the checksum list in the data folder.</summary>
    public const string SumsFileName = "SHA256SUMS";

    /// <summary>Class names, indexed by label: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.</summary>
    public static string[] ClassNames =>
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads a split: 60 000 (train) or 10 000 (test) images as float32 (N, 1, 28, 28) in [0, 1] with int64 labels.
    /// Each file is checked against the SHA256SUMS of its folder first; a file that was already verified in this process
    /// and has not changed since (same length and last write time) is not hashed again.
    /// </summary>
    /// <param name="split">Train or test.</param>
    /// <param name="dataDirectory">Folder with the four .gz files and SHA256SUMS; default <see cref="CoursePaths.FashionMnistDirectory"/>.</param>
    /// <exception cref="FileNotFoundException">A data file or SHA256SUMS is missing.</exception>
    /// <exception cref="InvalidDataException">A file does not match its checksum (corrupt or tampered) or is malformed.</exception>
    public static ImageDataset Load(DataSplit split, string? dataDirectory = null)
    {
        string directory = Path.GetFullPath(dataDirectory ?? CoursePaths.FashionMnistDirectory);
        (string imagesName, string labelsName) = FileNames(split);
        string sumsPath = Path.Combine(directory, SumsFileName);
        IReadOnlyDictionary<string, string> sums = Checksums.ReadSums(sumsPath);

        foreach (string fileName in new[] { imagesName, labelsName })
        {
            string path = Path.Combine(directory, fileName);
            if (!sums.TryGetValue(fileName, out string? expected))
                throw new InvalidDataException(
                    $"{sumsPath} has no checksum for {fileName}, so {path} cannot be verified. Restore SHA256SUMS " +
                    "(git checkout -- data/fashion-mnist/SHA256SUMS).");
            if (!File.Exists(path))
                throw DataErrors.NotFound(path, "Fashion-MNIST file",
                    "Restore it with git (git checkout -- data/fashion-mnist/) or copy it from the course repository; see data/fashion-mnist/README.md.");
            VerifiedFileCache.VerifySha256(path, expected);
        }

        string name = split == DataSplit.Train ? "Fashion-MNIST train" : "Fashion-MNIST test";
        return ImageDataset.FromIdx(name, Path.Combine(directory, imagesName), Path.Combine(directory, labelsName), ClassNames);
    }

    /// <summary>File names of a split's images and labels, e.g. ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz").</summary>
    public static (string Images, string Labels) FileNames(DataSplit split) => split switch
    {
        DataSplit.Train => ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        DataSplit.Test => ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Use DataSplit.Train or DataSplit.Test."),
    };
}
