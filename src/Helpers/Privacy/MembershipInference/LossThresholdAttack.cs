using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// The loss-threshold membership attack of Yeom et al. (2018): an example is called a member when the model's loss on
/// it is low, i.e. when the score −loss is at least a threshold. Needs only the model's loss, no shadow models.
/// </summary>
/// <remarks>
/// The result always carries the threshold-free AUC and the in-sample best advantage (optimistic). The decision
/// threshold is chosen on calibration members/non-members when they are given (an honest estimate), otherwise it is
/// the in-sample best (<see cref="ThresholdSource.BestOnEvaluation"/>).
/// </remarks>
public static class LossThresholdAttack
{
    /// <summary>Attacks <paramref name="model"/>: scores both sets with <see cref="MembershipScores.Compute"/> and evaluates.</summary>
    /// <param name="model">The target classifier.</param>
    /// <param name="members">Examples that were in the model's training set.</param>
    /// <param name="nonMembers">Examples from the same distribution that were not.</param>
    /// <param name="device">Where to compute (default: CPU).</param>
    /// <param name="calibrationMembers">Optional further known members to choose the threshold on (disjoint from <paramref name="members"/>).</param>
    /// <param name="calibrationNonMembers">Optional further known non-members; give both calibration sets or neither.</param>
    /// <exception cref="ArgumentException">A set is empty, only one calibration set is given, or the model does not fit the data.</exception>
    public static LossThresholdResult Run(
        nn.Module<Tensor, Tensor> model, ImageDataset members, ImageDataset nonMembers, Device? device = null,
        ImageDataset? calibrationMembers = null, ImageDataset? calibrationNonMembers = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(nonMembers);
        if ((calibrationMembers is null) != (calibrationNonMembers is null))
            throw new ArgumentException("Give both calibration sets (members and non-members) or neither.",
                calibrationMembers is null ? nameof(calibrationMembers) : nameof(calibrationNonMembers));
        double[] Score(ImageDataset data) => MembershipScores.Compute(model, data, device).NegativeLosses();
        double? threshold = calibrationMembers is null ? null
            : new RocCurve(Score(calibrationMembers), Score(calibrationNonMembers!)).Best.Threshold;
        return Evaluate(Score(members), Score(nonMembers), threshold, threshold is null ? ThresholdSource.BestOnEvaluation : ThresholdSource.Calibration);
    }

    /// <summary>
    /// Yeom et al.'s own threshold on the score −loss: minus the model's average training loss (which the attacker is
    /// assumed to know). Pass it to <see cref="Evaluate"/> with <see cref="ThresholdSource.Fixed"/>.
    /// </summary>
    /// <param name="trainingScores">Scores of the model on (a sample of) its training set.</param>
    public static double YeomThreshold(MembershipScores trainingScores)
    {
        ArgumentNullException.ThrowIfNull(trainingScores);
        if (trainingScores.Count == 0) throw new ArgumentException("No training scores to average.", nameof(trainingScores));
        return -trainingScores.Losses.Average();
    }

    /// <summary>
    /// Evaluates precomputed scores (higher = more likely member, e.g. <see cref="MembershipScores.NegativeLosses"/>).
    /// </summary>
    /// <param name="memberScores">Scores of the members.</param>
    /// <param name="nonMemberScores">Scores of the non-members.</param>
    /// <param name="threshold">Decision threshold; null: the in-sample best.</param>
    /// <param name="source">How <paramref name="threshold"/> was chosen (ignored when it is null).</param>
    /// <exception cref="ArgumentException">A score set is empty or holds NaN.</exception>
    public static LossThresholdResult Evaluate(
        IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores, double? threshold = null,
        ThresholdSource source = ThresholdSource.Fixed)
    {
        var roc = new RocCurve(memberScores, nonMemberScores);
        double chosen = threshold ?? roc.Best.Threshold;
        return new LossThresholdResult(roc.Auc, roc.BestAdvantage, roc.Best.Threshold,
            threshold is null ? ThresholdSource.BestOnEvaluation : source, roc.At(chosen), roc.TprAtFpr(0.01), roc);
    }
}
