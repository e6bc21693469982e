namespace ModelSecurity.Data;

/// <summary>Where <see cref="Mnist"/> downloads from, where it caches, and how it checks what it got.</summary>
public sealed class MnistOptions
{
    private readonly string? _cacheDirectory;

    /// <summary>The torchvision mirrors, tried in this order.</summary>
    public static IReadOnlyList<Uri> DefaultMirrors { get; } = Array.AsReadOnly(new[]
    {
        new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    });

    /// <summary>SHA-256 of the four canonical MNIST .gz files (as published by TensorFlow Datasets and Keras).</summary>
    public static IReadOnlyDictionary<string, string> DefaultSha256 { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["train-images-idx3-ubyte.gz"] = "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ["train-labels-idx1-ubyte.gz"] = "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ["t10k-images-idx3-ubyte.gz"] = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ["t10k-labels-idx1-ubyte.gz"] = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }.AsReadOnly();

    /// <summary>MD5 of the four canonical MNIST .gz files (as listed by torchvision); used only for a file that has no SHA-256.</summary>
    public static IReadOnlyDictionary<string, string> DefaultMd5 { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["train-images-idx3-ubyte.gz"] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        ["train-labels-idx1-ubyte.gz"] = "d53e105ee54ea40749a09fcbcd1e9432",
        ["t10k-images-idx3-ubyte.gz"] = "9fb629c4189551a2d022fa330f9573f3",
        ["t10k-labels-idx1-ubyte.gz"] = "ec29112dd5afa0611ce80d1b7f02629c",
    }.AsReadOnly();

    /// <summary>Folder holding the downloaded files; default <see cref="CoursePaths.MnistDirectory"/> (created when needed).</summary>
    public string CacheDirectory
    {
        get => _cacheDirectory ?? CoursePaths.MnistDirectory;
        init => _cacheDirectory = value;
    }

    /// <summary>
    /// Base addresses tried in order; each file is fetched from base + file name. http and https are downloaded,
    /// file:// addresses are copied from disk. Default <see cref="DefaultMirrors"/>.
    /// </summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = DefaultMirrors;

    /// <summary>Expected SHA-256 per file name; a file listed here is verified by SHA-256. Default <see cref="DefaultSha256"/>.</summary>
    public IReadOnlyDictionary<string, string> Sha256 { get; init; } = DefaultSha256;

    /// <summary>Expected MD5 per file name, used only for files missing from <see cref="Sha256"/>. Default <see cref="DefaultMd5"/>.</summary>
    public IReadOnlyDictionary<string, string> Md5 { get; init; } = DefaultMd5;

    /// <summary>HTTP handler to send requests through (tests, proxies); null: a default handler.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Longest time one file's download from one mirror may take before that mirror counts as failed. Default 5 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where progress lines go; default <see cref="Console.Out"/>; null for silence.</summary>
    public TextWriter? Progress { get; init; } = Console.Out;
}
