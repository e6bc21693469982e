namespace ModelSecurity.Data;

/// <summary>Datasets by the names recipes and checkpoints use.</summary>
public static class Datasets
{
    /// <summary>Names accepted by <see cref="Load"/>.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "fashion-mnist", "mnist" };

    /// <summary>
    /// Loads a split of a dataset: "fashion-mnist" from the shipped files, "mnist" through its verified
    /// download (cached in data/mnist/).
    /// </summary>
    public static ImageDataset Load(string name, DataSplit split) => name switch
    {
        "fashion-mnist" => FashionMnist.Load(split),
        "mnist" => Mnist.LoadAsync(split).GetAwaiter().GetResult(),
        _ => throw new ArgumentException($"Unknown dataset \"{name}\"; use one of: {string.Join(", ", Names)}."),
    };
}
