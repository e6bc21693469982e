using ModelSecurity.Data;
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
    private readonly long[] _map;
    private readonly string _description;

    /// <summary>Creates the attack from a label map (map[y] is the label trained on instead of y).</summary>
    /// <exception cref="ArgumentException">The map is empty, has an entry outside 0 … length − 1, or changes no label.</exception>
    public LabelFlipAttack(IReadOnlyList<int> map, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Count == 0) throw new ArgumentException("The label map is empty.", nameof(map));
        for (int y = 0; y < map.Count; y++)
            if (map[y] < 0 || map[y] >= map.Count)
                throw new ArgumentException($"map[{y}] = {map[y]} is not a class of 0 … {map.Count - 1}.", nameof(map));
        if (Enumerable.Range(0, map.Count).All(y => map[y] == y))
            throw new ArgumentException("The label map changes no label; that is not an attack.", nameof(map));
        _map = map.Select(v => (long)v).ToArray();
        _description = description ?? "custom map";
    }

    /// <summary>y → (classes − 1) − y for every class (9 − y for ten classes).</summary>
    public static LabelFlipAttack Reverse(int classes = 10)
    {
        Guard.AtLeast(classes, 2, nameof(classes));
        return new LabelFlipAttack(Enumerable.Range(0, classes).Select(y => classes - 1 - y).ToArray(), $"y → {classes - 1} − y");
    }

    /// <summary>Only examples of class <paramref name="source"/> are relabelled, as <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class outside 0 … classes − 1, or source = target.</exception>
    public static LabelFlipAttack SourceToTarget(int source, int target, int classes = 10)
    {
        Guard.AtLeast(classes, 2, nameof(classes));
        if (source < 0 || source >= classes) throw new ArgumentOutOfRangeException(nameof(source), source, $"The source class must lie in 0 … {classes - 1}.");
        if (target < 0 || target >= classes || target == source)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"The target class must lie in 0 … {classes - 1} and differ from the source ({source}).");
        var map = Enumerable.Range(0, classes).ToArray();
        map[source] = target;
        return new LabelFlipAttack(map, $"{source} → {target}");
    }

    /// <summary>The label map.</summary>
    public IReadOnlyList<long> Map => _map;

    /// <inheritdoc />
    public override string Name => $"label flip ({_description})";

    /// <inheritdoc />
    public override (Tensor Images, Tensor Labels) PoisonBatch(Tensor images, Tensor labels)
    {
        using var map = tensor(_map, device: labels.device);
        return (images, map.index_select(0, labels));
    }

    /// <summary>Fraction of test images of a flipped class (map[y] ≠ y) that the model classifies as map[y].</summary>
    public override double? SuccessRate(nn.Module<Tensor, Tensor> model, ImageDataset test, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        long[] labels = test.Labels.data<long>().ToArray();
        long[] attacked = Enumerable.Range(0, labels.Length).Where(i => labels[i] < _map.Length && _map[labels[i]] != labels[i]).Select(i => (long)i).ToArray();
        if (attacked.Length == 0) return double.NaN;
        using var selected = test.Select(attacked);
        using var scope = NewDisposeScope();
        using var map = tensor(_map);
        using var relabelled = new ImageDataset($"{test.Name}, flipped labels", selected.Images.clone(), map.index_select(0, selected.Labels), test.ClassNames);
        return Evaluator.Evaluate(model, relabelled, device).Accuracy;
    }
}
