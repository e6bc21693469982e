using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// A relabelling y → map[y] of a label-flipping attack: all classes (y → 9 − y) or one source class relabelled as a
/// target. Shared by the centralised data poisoning of <see cref="DataPoisoning"/> and the federated
/// <c>LabelFlipAttack</c>.
/// </summary>
public sealed class LabelMap
{
    private readonly long[] _map;

    /// <summary>Creates the map (map[y] is the label trained on instead of y).</summary>
    /// <param name="map">One entry per class, each in 0 … length − 1.</param>
    /// <param name="description">Short description for tables (default "custom map").</param>
    /// <exception cref="ArgumentException">The map is empty, has an entry outside 0 … length − 1, or changes no label.</exception>
    public LabelMap(IReadOnlyList<int> map, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Count == 0) throw new ArgumentException("The label map is empty.", nameof(map));
        for (int y = 0; y < map.Count; y++)
            if (map[y] < 0 || map[y] >= map.Count)
                throw new ArgumentException($"map[{y}] = {map[y]} is not a class of 0 … {map.Count - 1}.", nameof(map));
        if (Enumerable.Range(0, map.Count).All(y => map[y] == y))
            throw new ArgumentException("The label map changes no label; that is not an attack.", nameof(map));
        _map = map.Select(v => (long)v).ToArray();
        Description = description ?? "custom map";
    }

    /// <summary>y → (classes − 1) − y for every class (9 − y for ten classes).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than two classes.</exception>
    public static LabelMap Reverse(int classes = 10)
    {
        Guard.AtLeast(classes, 2, nameof(classes));
        return new LabelMap(Enumerable.Range(0, classes).Select(y => classes - 1 - y).ToArray(), $"y → {classes - 1} − y");
    }

    /// <summary>Only class <paramref name="source"/> is relabelled, as <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class outside 0 … classes − 1, or source = target.</exception>
    public static LabelMap SourceToTarget(int source, int target, int classes = 10)
    {
        Guard.AtLeast(classes, 2, nameof(classes));
        if (source < 0 || source >= classes) throw new ArgumentOutOfRangeException(nameof(source), source, $"The source class must lie in 0 … {classes - 1}.");
        if (target < 0 || target >= classes || target == source)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"The target class must lie in 0 … {classes - 1} and differ from the source ({source}).");
        var map = Enumerable.Range(0, classes).ToArray();
        map[source] = target;
        return new LabelMap(map, $"{source} → {target}");
    }

    /// <summary>map[y] for every class y.</summary>
    public IReadOnlyList<long> Values => _map;

    /// <summary>Number of classes the map covers.</summary>
    public int Classes => _map.Length;

    /// <summary>Short description, e.g. "y → 9 − y" or "3 → 5".</summary>
    public string Description { get; }

    /// <summary>True when the map changes label <paramref name="label"/>.</summary>
    public bool Changes(long label) => label >= 0 && label < _map.Length && _map[label] != label;

    /// <summary>The relabelled labels map[labels] (a new int64 tensor on the labels' device).</summary>
    /// <exception cref="ArgumentException">A label outside 0 … <see cref="Classes"/> − 1.</exception>
    public Tensor Apply(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.numel() > 0)
        {
            long low = labels.min().item<long>(), high = labels.max().item<long>();
            if (low < 0 || high >= _map.Length)
                throw new ArgumentException($"Labels range over {low} … {high}, but the map covers classes 0 … {_map.Length - 1}.", nameof(labels));
        }
        using var map = tensor(_map, device: labels.device);
        return map.index_select(0, labels);
    }

    /// <inheritdoc />
    public override string ToString() => Description;
}
