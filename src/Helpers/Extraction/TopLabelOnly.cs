using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>Answers only the predicted label (as a one-hot row): the strongest rounding, yet still enough to extract a model with more queries.</summary>
public sealed class TopLabelOnly : OutputDefense
{
    /// <inheritdoc />
    public override string Name => "top-1 label only";

    /// <inheritdoc />
    public override Tensor Apply(Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        using var scope = NewDisposeScope();
        var oneHot = nn.functional.one_hot(probabilities.argmax(1), probabilities.shape[1]).to_type(probabilities.dtype);
        return scope.MoveToOuter(oneHot);
    }
}
