namespace ModelSecurity.Privacy;

/// <summary>What one DP-SGD step (one logical batch) did.</summary>
/// <param name="Count">Examples in the logical batch (Poisson sampling: random, possibly 0).</param>
/// <param name="PhysicalBatches">Chunks the batch was processed in (0 for an empty batch).</param>
/// <param name="LossSum">Sum of the per-example losses, before the update.</param>
/// <param name="Correct">Examples the model classified correctly, before the update.</param>
/// <param name="Clipped">Examples whose gradient norm exceeded C and was scaled down.</param>
public sealed record DpStepResult(int Count, int PhysicalBatches, double LossSum, long Correct, long Clipped)
{
    /// <summary>Fraction of the batch's examples that were clipped (0 for an empty batch): near 1 means C is small for this model.</summary>
    public double ClippedFraction => Count == 0 ? 0 : (double)Clipped / Count;
}
