using ModelSecurity.Data;
using ModelSecurity.Poisoning;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>
/// Data poisoning by label flipping (e.g. Tolpegin et al. 2020): the malicious client trains on its own images with
/// labels y replaced by map[y] — all classes (y → 9 − y) or one source class relabelled as a target. Its success rate
/// is the fraction of test images of the flipped classes that the global model assigns to map[y].
/// </summary>
public sealed class LabelFlipAttack : ClientAttack
{
    /// <summary>Creates the attack from a label map (map[y] is the label trained on instead of y).</summary>
    /// <exception cref="ArgumentException">The map is empty, has an entry outside 0 … length − 1, or changes no label.</exception>
    public LabelFlipAttack(IReadOnlyList<int> map, string? description = null) : this(new LabelMap(map, description)) { }

    /// <summary>Creates the attack from a <see cref="ModelSecurity.Poisoning.LabelMap"/>.</summary>
    public LabelFlipAttack(LabelMap map) => LabelMap = map ?? throw new ArgumentNullException(nameof(map));

    /// <summary>y → (classes − 1) − y for every class (9 − y for ten classes).</summary>
    public static LabelFlipAttack Reverse(int classes = 10) => new(LabelMap.Reverse(classes));

    /// <summary>Only examples of class <paramref name="source"/> are relabelled, as <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class outside 0 … classes − 1, or source = target.</exception>
    public static LabelFlipAttack SourceToTarget(int source, int target, int classes = 10) => new(LabelMap.SourceToTarget(source, target, classes));

    /// <summary>The relabelling.</summary>
    public LabelMap LabelMap { get; }

    /// <summary>The label map (map[y] for every class y).</summary>
    public IReadOnlyList<long> Map => LabelMap.Values;

    /// <inheritdoc />
    public override string Name => $"label flip ({LabelMap.Description})";

    /// <inheritdoc />
    public override (Tensor Images, Tensor Labels) PoisonBatch(Tensor images, Tensor labels) => (images, LabelMap.Apply(labels));

    /// <summary>Fraction of test images of a flipped class (map[y] ≠ y) that the model classifies as map[y].</summary>
    public override double? SuccessRate(nn.Module<Tensor, Tensor> model, ImageDataset test, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        long[] labels = test.Labels.data<long>().ToArray();
        long[] attacked = Enumerable.Range(0, labels.Length).Where(i => LabelMap.Changes(labels[i])).Select(i => (long)i).ToArray();
        if (attacked.Length == 0) return double.NaN;
        using var selected = test.Select(attacked);
        using var scope = NewDisposeScope();
        using var relabelled = new ImageDataset($"{test.Name}, flipped labels", selected.Images.clone(), LabelMap.Apply(selected.Labels), test.ClassNames);
        return Evaluator.Evaluate(model, relabelled, device).Accuracy;
    }
}
