using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// The Difference of Logits Ratio loss of Croce &amp; Hein ("Reliable evaluation of adversarial robustness with an ensemble
/// of diverse parameter-free attacks", ICML 2020, section 4), the loss of AutoAttack's APGD-DLR / APGD-T. With the logits
/// sorted z_π1 ≥ z_π2 ≥ …, it is a margin divided by a spread of the logits, so it does not change when the logits are
/// shifted or rescaled: a model cannot hide behind large or saturated logits the way it can from cross-entropy.
/// Values are returned as the attack maximises them (the negative ratio), per example, as in the reference code
/// (fra31/auto-attack, <c>dlr_loss</c> and <c>dlr_loss_targeted</c>).
/// </summary>
public static class DlrLoss
{
    /// <summary>Added to every denominator (as in the reference) so that equal logits do not divide by zero.</summary>
    public const double Stabilizer = 1e-12;

    /// <summary>
    /// Untargeted DLR, −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3): positive once the example is misclassified. Needs ≥ 3 classes.
    /// </summary>
    /// <param name="logits">(N, C) logits, C ≥ 3.</param>
    /// <param name="labels">(N) true labels, int64.</param>
    public static Tensor Untargeted(Tensor logits, Tensor labels)
    {
        Check(logits, labels, 3, "untargeted DLR");
        var sorted = logits.sort(1, descending: true).Values;
        var own = logits.gather(1, labels.unsqueeze(1)).squeeze(1);
        var oneHot = nn.functional.one_hot(labels, logits.shape[1]).to_type(ScalarType.Bool);
        var otherMax = logits.masked_fill(oneHot, double.NegativeInfinity).amax(new long[] { 1 });
        var spread = sorted.select(1, 0) - sorted.select(1, 2) + Stabilizer;
        return -(own - otherMax) / spread;
    }

    /// <summary>
    /// Targeted DLR, −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2): it rises as the target's logit overtakes the true one. Needs ≥ 4 classes.
    /// </summary>
    /// <param name="logits">(N, C) logits, C ≥ 4.</param>
    /// <param name="labels">(N) true labels, int64.</param>
    /// <param name="targets">(N) target classes, int64.</param>
    public static Tensor Targeted(Tensor logits, Tensor labels, Tensor targets)
    {
        Check(logits, labels, 4, "targeted DLR");
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.ndim != 1 || targets.shape[0] != logits.shape[0])
            throw new ArgumentException($"targeted DLR: targets must be shaped (N) = ({logits.shape[0]}); got {Guard.Shape(targets)}.", nameof(targets));
        var sorted = logits.sort(1, descending: true).Values;
        var own = logits.gather(1, labels.unsqueeze(1)).squeeze(1);
        var target = logits.gather(1, targets.unsqueeze(1)).squeeze(1);
        var spread = sorted.select(1, 0) - 0.5 * (sorted.select(1, 2) + sorted.select(1, 3)) + Stabilizer;
        return -(own - target) / spread;
    }

    private static void Check(Tensor logits, Tensor labels, int minimumClasses, string what)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.ndim != 2 || logits.shape[1] < minimumClasses)
            throw new ArgumentException($"{what} needs logits shaped (N, C) with C ≥ {minimumClasses}; got {Guard.Shape(logits)}.", nameof(logits));
        if (labels.ndim != 1 || labels.shape[0] != logits.shape[0])
            throw new ArgumentException($"{what}: labels must be shaped (N) = ({logits.shape[0]}); got {Guard.Shape(labels)}.", nameof(labels));
    }
}
