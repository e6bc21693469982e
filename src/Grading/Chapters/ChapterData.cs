using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Models;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// What the chapter checks share: the shipped baseline and the Fashion-MNIST test set, loaded once per grading
/// process on the CPU (the checks never use the notebook's own objects as inputs), and number formatting.
/// </summary>
internal static class ChapterData
{
    private static readonly Lazy<nn.Module<Tensor, Tensor>> LazyBaseline = new(() =>
    {
        var model = ShippedModels.LoadBaseline(CPU);
        model.eval();
        // A grading worker loads its own copy of the checkpoint instead of receiving these weights.
        return Remote.RemoteRecipes.Shipped(model, "baseline");
    });

    private static readonly Lazy<ImageDataset> LazyTest = new(() => FashionMnist.Load(DataSplit.Test));

    /// <summary>The shipped baseline on the CPU, in eval mode.</summary>
    public static nn.Module<Tensor, Tensor> Baseline => LazyBaseline.Value;

    /// <summary>The Fashion-MNIST test set.</summary>
    public static ImageDataset Test => LazyTest.Value;

    /// <summary>Copies of the first <paramref name="count"/> test images (N, 1, 28, 28) and labels (N), in the current dispose scope.</summary>
    public static (Tensor Images, Tensor Labels) FirstTestImages(int count) =>
        (Test.Images.narrow(0, 0, count).clone(), Test.Labels.narrow(0, 0, count).clone());

    /// <summary>
    /// Copies of <paramref name="count"/> test images and their labels picked at random by <paramref name="random"/>
    /// (a <see cref="FreshInputs.NewRandom"/> generator), in the current dispose scope, with the picked indices for messages.
    /// </summary>
    public static (Tensor Images, Tensor Labels, long[] Indices) RandomTestImages(Random random, int count)
    {
        long[] indices = Enumerable.Range(0, count).Select(_ => (long)random.Next((int)Test.Images.shape[0])).ToArray();
        var picked = tensor(indices);
        return (Test.Images.index_select(0, picked).clone(), Test.Labels.index_select(0, picked).clone(), indices);
    }

    /// <summary>A uniform random number in [<paramref name="low"/>, <paramref name="high"/>), rounded to 4 digits so messages show it exactly.</summary>
    public static double Between(Random random, double low, double high) => Math.Round(low + random.NextDouble() * (high - low), 4);

    /// <summary>True when both tensors have the same shape and the same values (TorchSharp's <c>equal</c> is elementwise).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var scope = NewDisposeScope();
        return a.eq(b).all().item<bool>();
    }

    /// <summary>A standard normal draw (Box–Muller), for the grader's random inputs.</summary>
    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>A number for messages.</summary>
    public static string F(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>A percentage for messages.</summary>
    public static string P(double value) => value.ToString("P1", CultureInfo.InvariantCulture);

    /// <summary>A shape for messages, e.g. (64, 1, 28, 28).</summary>
    public static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

    /// <summary>
    /// Checks that a student's result is a tensor shaped like <paramref name="expected"/>; returns a failure message or null.
    /// </summary>
    public static string? ShapeProblem(string what, Tensor? result, Tensor expected)
    {
        if (result is null) return $"{what} returned null; return a tensor shaped {Shape(expected)}.";
        if (result.IsInvalid) return $"{what} returned a disposed tensor (was it created inside a dispose scope you left? use scope.MoveToOuter(result)).";
        if (!result.shape.SequenceEqual(expected.shape))
            return $"{what} returned a tensor shaped {Shape(result)}; expected {Shape(expected)}, the shape of its input.";
        if (!result.is_floating_point()) return $"{what} returned {result.dtype} values; expected floating point ({expected.dtype}).";
        return null;
    }
}
