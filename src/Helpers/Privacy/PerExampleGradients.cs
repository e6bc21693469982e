using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// The result of <see cref="GradSampleModule.Compute"/>: for every trainable parameter p (in
/// <see cref="GradSampleModule.Parameters"/> order) a tensor (N, *p.shape) whose row i is ∂Lᵢ/∂p, the gradient of
/// example i's loss alone; plus the per-example losses and the logits. All tensors are detached from the graph and
/// belong to the dispose scope that was current when they were computed.
/// </summary>
/// <param name="Names">Parameter names, e.g. "fc1.weight".</param>
/// <param name="Gradients">Per-example gradients, one tensor (N, *shape) per parameter.</param>
/// <param name="Losses">Per-example losses (N).</param>
/// <param name="Logits">Logits (N, classes).</param>
public sealed record PerExampleGradients(IReadOnlyList<string> Names, IReadOnlyList<Tensor> Gradients, Tensor Losses, Tensor Logits)
{
    /// <summary>Number of examples N.</summary>
    public long Count => Losses.shape[0];
}
