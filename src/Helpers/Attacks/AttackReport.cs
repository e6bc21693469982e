namespace ModelSecurity.Attacks;

/// <summary>What one attack achieved on a dataset.</summary>
/// <param name="Attack">The attack's name.</param>
/// <param name="Epsilon">Its budget, when it has one.</param>
/// <param name="Count">Examples attacked.</param>
/// <param name="CleanAccuracy">Accuracy without attack.</param>
/// <param name="RobustAccuracy">Accuracy on the attack's outputs.</param>
/// <param name="SuccessRate">Among the examples classified correctly without attack, the fraction the attack flipped
/// (targeted: the fraction of all examples classified as their target).</param>
/// <param name="MeanL2">Mean L2 norm of the perturbations of successful examples.</param>
/// <param name="MaxL2">Largest L2 norm of any perturbation.</param>
/// <param name="MeanLInf">Mean L∞ norm of the perturbations of successful examples.</param>
/// <param name="MaxLInf">Largest L∞ norm of any perturbation.</param>
/// <param name="Seconds">Wall-clock time of the attack.</param>
public sealed record AttackReport(
    string Attack, double? Epsilon, int Count, double CleanAccuracy, double RobustAccuracy, double SuccessRate,
    double MeanL2, double MaxL2, double MeanLInf, double MaxLInf, double Seconds)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Attack}: robust accuracy {RobustAccuracy:P2} (clean {CleanAccuracy:P2}), success rate {SuccessRate:P1}, " +
        $"mean L2 {MeanL2:F3}, max L∞ {MaxLInf:F3}, {Count} examples in {Seconds:F1} s";
}
