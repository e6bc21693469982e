using ModelSecurity.Data;

namespace ModelSecurity.Poisoning;

/// <summary>
/// A training set after data poisoning, with the ground truth a defender does not have: which rows were poisoned.
/// Owns <see cref="Data"/>.
/// </summary>
public sealed class PoisonedDataset : IDisposable
{
    /// <summary>Wraps a poisoned data set (taking ownership) and the sorted indices of its poisoned rows.</summary>
    /// <exception cref="ArgumentException">An index is outside the data set.</exception>
    public PoisonedDataset(ImageDataset data, IReadOnlyList<long> poisonedIndices, string attack)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(poisonedIndices);
        ArgumentException.ThrowIfNullOrWhiteSpace(attack);
        if (poisonedIndices.Any(i => i < 0 || i >= data.Count))
            throw new ArgumentException($"A poisoned index lies outside the data set's {data.Count} rows.", nameof(poisonedIndices));
        Data = data;
        PoisonedIndices = poisonedIndices.Distinct().Order().ToArray();
        Attack = attack;
    }

    /// <summary>The poisoned training set (clean rows and poisoned rows mixed, in the original order).</summary>
    public ImageDataset Data { get; }

    /// <summary>Indices of the poisoned rows, ascending.</summary>
    public IReadOnlyList<long> PoisonedIndices { get; }

    /// <summary>Short description of the attack, e.g. "BadNets, 3×3 square → 0, 5 %".</summary>
    public string Attack { get; }

    /// <summary>Number of poisoned rows.</summary>
    public int PoisonedCount => PoisonedIndices.Count;

    /// <summary>Poisoned rows / all rows.</summary>
    public double PoisonRate => Data.Count == 0 ? 0 : (double)PoisonedCount / Data.Count;

    /// <summary>A mask over the rows: true where the row was poisoned.</summary>
    public bool[] PoisonMask()
    {
        var mask = new bool[Data.Count];
        foreach (long i in PoisonedIndices) mask[i] = true;
        return mask;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Data.Name}: {PoisonedCount} of {Data.Count} rows poisoned ({Attack})";

    /// <summary>Frees the data set.</summary>
    public void Dispose() => Data.Dispose();
}
