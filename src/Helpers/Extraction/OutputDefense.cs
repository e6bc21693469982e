using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>
/// What a prediction endpoint does to its probabilities before answering — the output-side defenses against model
/// extraction discussed by Tramèr et al. (2016) and Orekondy et al. (2019). <see cref="None"/> answers them as they are.
/// </summary>
public abstract class OutputDefense
{
    /// <summary>No defense: the full probability vector.</summary>
    public static OutputDefense None { get; } = new NoOutputDefense();

    /// <summary>Short name for tables, e.g. "round to 1 decimal".</summary>
    public abstract string Name { get; }

    /// <summary>Transforms probabilities (N, classes) into the answer (N, classes). Must not change its input.</summary>
    public abstract Tensor Apply(Tensor probabilities);

    /// <inheritdoc />
    public override string ToString() => Name;

    private sealed class NoOutputDefense : OutputDefense
    {
        public override string Name => "none (full probabilities)";

        public override Tensor Apply(Tensor probabilities) => probabilities.clone();
    }
}
