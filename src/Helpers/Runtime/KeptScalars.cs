using TorchSharp;

namespace ModelSecurity.Runtime;

/// <summary>
/// Scalars that live for the whole process, for hot loops that would otherwise create one implicitly per call.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107 turns numbers into <see cref="Scalar"/> objects implicitly (<c>a + b</c> is <c>a.add(b, 1)</c>,
/// <c>x.clamp(0.0, 1.0)</c>, <c>masked_fill(mask, -∞)</c>). Only the raw handle reaches libtorch, so a garbage collection
/// during the native call can finalize the temporary and free the scalar while libtorch reads it: a rare
/// "Expected false to be true … toFloat" error. It ended a 70-minute AutoAttack run inside Square's 5 000-query loop
/// (see also <see cref="Training.KeepAliveSgd"/>). Static fields are never collected.
/// </remarks>
public static class KeptScalars
{
    /// <summary>1, e.g. the alpha of <c>a.add(b, One)</c>.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>−∞, e.g. to mask logits before a max.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
