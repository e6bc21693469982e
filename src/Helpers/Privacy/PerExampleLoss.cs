using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// A loss that returns one value per example: logits (N, classes) and labels (N) give losses of shape (N).
/// DP-SGD needs the losses separately, because it clips each example's gradient; the engine sums them before
/// differentiating, so the gradient of example i is the gradient of its own loss only.
/// </summary>
public delegate Tensor PerExampleLoss(Tensor logits, Tensor labels);

/// <summary>Per-example losses for <see cref="PerExampleLoss"/>.</summary>
public static class PerExampleLosses
{
    /// <summary>Cross-entropy of every example, shape (N) (no reduction): the loss of ordinary classification training.</summary>
    public static PerExampleLoss CrossEntropy { get; } =
        (logits, labels) => nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None);
}
