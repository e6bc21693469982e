using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

/// <summary>Small synthetic data and models for the DP-SGD tests.</summary>
internal static class DpTestData
{
    /// <summary><paramref name="count"/> random 1×8×8 images in 3 classes.</summary>
    public static ImageDataset Images(int count, int seed)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed, CPU);
        return new ImageDataset("synthetic", rand(new long[] { count, 1, 8, 8 }, generator: generator),
            randint(0, 3, new long[] { count }, generator: generator), new[] { "a", "b", "c" });
    }

    /// <summary>Conv → ReLU → pool → Linear on 1×8×8 inputs, 3 classes; the same weights for the same seed.</summary>
    public static nn.Module<Tensor, Tensor> ConvNet(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
            ("flat", nn.Flatten()), ("fc", nn.Linear(4 * 4 * 4, 3)));
    }

    /// <summary>A copy of every parameter.</summary>
    public static Tensor[] Snapshot(nn.Module model) => model.parameters().Select(p => p.detach().clone()).ToArray();

    /// <summary>Largest absolute difference between two snapshots.</summary>
    public static double MaxDifference(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) =>
        a.Zip(b).Max(pair => (pair.First - pair.Second).abs().max().item<float>());
}
