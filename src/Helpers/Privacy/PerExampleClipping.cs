using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// Per-example clipping, the step that bounds each example's influence on a DP-SGD update (Abadi et al. 2016,
/// Algorithm 1): example i's gradient gᵢ — all parameters together, as one long vector — is scaled by
/// min(1, C / (‖gᵢ‖₂ + 10⁻⁶)), so its norm becomes at most C and gradients already shorter than C are left as they are.
/// The 10⁻⁶ guards against division by zero (the same constant as Opacus).
/// </summary>
public static class PerExampleClipping
{
    /// <summary>Added to the norm before dividing.</summary>
    public const double Stability = 1e-6;

    /// <summary>‖gᵢ‖₂ over all parameters jointly: shape (N), from per-example gradients (N, *shape) of every parameter.</summary>
    /// <exception cref="ArgumentException">No gradients, or they disagree on N.</exception>
    public static Tensor Norms(IReadOnlyList<Tensor> perExampleGradients)
    {
        ArgumentNullException.ThrowIfNull(perExampleGradients);
        if (perExampleGradients.Count == 0)
            throw new ArgumentException("Give the per-example gradients of at least one parameter.", nameof(perExampleGradients));
        long n = perExampleGradients[0].shape[0];
        if (perExampleGradients.Any(g => g.dim() == 0 || g.shape[0] != n))
            throw new ArgumentException(
                $"Every per-example gradient must have the same first dimension N; got {string.Join(", ", perExampleGradients.Select(Guard.Shape))}.",
                nameof(perExampleGradients));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var dtype = perExampleGradients[0].dtype;
        Tensor squares = zeros(n, dtype: dtype, device: perExampleGradients[0].device);
        foreach (var g in perExampleGradients) // vector_norm reads each gradient once, without a squared copy
            squares.add_(linalg.vector_norm(g.reshape(n, -1).to_type(dtype), 2, new long[] { 1 }).pow_(2));
        return squares.sqrt_().MoveToOuterDisposeScope();
    }

    /// <summary>The scale of each example, min(1, C / (‖gᵢ‖ + 10⁻⁶)): shape (N), values in (0, 1].</summary>
    /// <param name="norms">Per-example norms (N), from <see cref="Norms"/>.</param>
    /// <param name="maxGradNorm">C &gt; 0.</param>
    public static Tensor Factors(Tensor norms, double maxGradNorm)
    {
        ArgumentNullException.ThrowIfNull(norms);
        DpArguments.MaxGradNorm(maxGradNorm);
        using var noGrad = no_grad();
        return (maxGradNorm / (norms + Stability)).clamp_max_(1.0);
    }

    /// <summary>Every example's gradient clipped to norm ≤ C (same shapes as the input): for inspection and teaching.</summary>
    public static Tensor[] Clip(IReadOnlyList<Tensor> perExampleGradients, double maxGradNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var factors = Factors(Norms(perExampleGradients), maxGradNorm);
        return perExampleGradients
            .Select(g => (g * factors.to_type(g.dtype).reshape(new[] { -1L }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray()))
                .MoveToOuterDisposeScope())
            .ToArray();
    }

    /// <summary>Σᵢ factorᵢ · gᵢ for one parameter: the sum over the batch of its clipped per-example gradients, shape of the parameter.</summary>
    /// <param name="perExampleGradient">(N, *shape).</param>
    /// <param name="factors">(N), from <see cref="Factors"/>.</param>
    public static Tensor WeightedSum(Tensor perExampleGradient, Tensor factors)
    {
        ArgumentNullException.ThrowIfNull(perExampleGradient);
        ArgumentNullException.ThrowIfNull(factors);
        using var noGrad = no_grad();
        long n = perExampleGradient.shape[0];
        using var flat = perExampleGradient.reshape(n, -1);
        using var f = factors.to_type(perExampleGradient.dtype);
        return f.matmul(flat).reshape(perExampleGradient.shape[1..]);
    }
}
