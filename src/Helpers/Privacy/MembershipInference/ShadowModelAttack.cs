using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// The shadow-model membership attack of Shokri et al. (2017), simplified: the attacker trains k shadow models like
/// the target, each on a random half of an attacker-owned data set (the other half held out), labels each shadow's
/// outputs on its two halves member / non-member, and trains one attack classifier (for all classes) on
/// <see cref="AttackFeatures"/> of those outputs. The classifier is then applied to the target's outputs.
/// </summary>
/// <remarks>Left out of the paper: one attack model per class, and synthesising the attacker's data by querying the target.</remarks>
public static class ShadowModelAttack
{
    /// <summary>Trains the shadows and the attack classifier, then attacks <paramref name="target"/>.</summary>
    /// <param name="target">The target classifier.</param>
    /// <param name="members">Examples in the target's training set.</param>
    /// <param name="nonMembers">Examples from the same distribution that were not.</param>
    /// <param name="attackerData">The attacker's own data (same distribution, disjoint from the target's training set); at least 2 examples.</param>
    /// <param name="options">Recipe, number of shadows, attack classifier settings.</param>
    /// <param name="device">Where to train and compute (default: CPU).</param>
    /// <exception cref="ArgumentException">A set is empty or too small, the sets' classes differ, or a model's output does not fit them.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count in <paramref name="options"/> is too small (e.g. k &lt; 1).</exception>
    public static ShadowAttackResult Run(
        nn.Module<Tensor, Tensor> target, ImageDataset members, ImageDataset nonMembers, ImageDataset attackerData,
        ShadowAttackOptions options, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(nonMembers);
        ArgumentNullException.ThrowIfNull(attackerData);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        device ??= CPU;
        if (members.Count == 0) throw new ArgumentException($"The member set '{members.Name}' is empty.", nameof(members));
        if (nonMembers.Count == 0) throw new ArgumentException($"The non-member set '{nonMembers.Name}' is empty.", nameof(nonMembers));
        if (attackerData.Count < 2)
            throw new ArgumentException(
                $"The attacker's data '{attackerData.Name}' has {attackerData.Count} examples; each shadow needs at least one member and one non-member.",
                nameof(attackerData));
        int classes = attackerData.NumClasses;
        if (members.NumClasses != classes || nonMembers.NumClasses != classes)
            throw new ArgumentException(
                $"The attacker's data has {classes} classes but the members have {members.NumClasses} and the non-members {nonMembers.NumClasses}; all must match.",
                nameof(attackerData));

        var (features, labels, trainAccuracy, heldOutAccuracy) = ShadowFeatures(attackerData, options, device);
        using var attack = AttackClassifier.Train(features, labels, options.AttackHiddenUnits, options.AttackSteps,
            options.AttackLearningRate, options.Seed);
        double[] trainScores = attack.PredictMembership(features);
        double attackTrainAuc = new RocCurve(
            trainScores.Where((_, i) => labels[i]).ToArray(), trainScores.Where((_, i) => !labels[i]).ToArray()).Auc;

        double[] memberScores = attack.PredictMembership(AttackFeatures.From(MembershipScores.Compute(target, members, device)));
        double[] nonMemberScores = attack.PredictMembership(AttackFeatures.From(MembershipScores.Compute(target, nonMembers, device)));
        var roc = new RocCurve(memberScores, nonMemberScores);
        return new ShadowAttackResult(roc.Auc, roc.BestAdvantage, roc.At(0.5), roc.TprAtFpr(0.01), options.ShadowCount,
            trainAccuracy, heldOutAccuracy, attackTrainAuc, roc);
    }

    /// <summary>
    /// Trains the k shadow models and returns the labelled attack features of all of them, with the shadows' mean
    /// accuracy on their training and held-out halves.
    /// </summary>
    private static (List<double[]> Features, List<bool> IsMember, double TrainAccuracy, double HeldOutAccuracy) ShadowFeatures(
        ImageDataset attackerData, ShadowAttackOptions options, Device device)
    {
        var features = new List<double[]>();
        var isMember = new List<bool>();
        double trainAccuracy = 0, heldOutAccuracy = 0;
        int half = attackerData.Count / 2;
        var trainer = new Trainer(SilentTrainingReporter.Instance);
        for (int shadow = 0; shadow < options.ShadowCount; shadow++)
        {
            Runtime.Interruption.ThrowIfRequested();
            long[] order = Enumerable.Range(0, attackerData.Count).Select(i => (long)i).ToArray();
            new Random(unchecked(options.Seed * 1_000_003 + shadow * 7919 + 0x5AD0)).Shuffle(order); // not HashCode: it is salted per process
            using var inside = attackerData.Select(order[..half]);
            using var outside = attackerData.Select(order[half..(2 * half)]);

            var recipe = options.Recipe with { Seed = options.Recipe.Seed + options.Seed + shadow, TrainSubset = null };
            Reproducibility.Seed(recipe.Seed);
            using var model = options.ModelFactory?.Invoke() ?? ModelZoo.Create(recipe.Architecture, attackerData.NumClasses);
            trainer.Fit(model, inside, recipe, device);

            foreach (var (data, member) in new[] { (inside, true), (outside, false) })
            {
                var scores = MembershipScores.Compute(model, data, device);
                features.AddRange(AttackFeatures.From(scores));
                isMember.AddRange(Enumerable.Repeat(member, scores.Count));
                double accuracy = Enumerable.Range(0, scores.Count).Count(i => ArgMax(scores.Probabilities[i]) == scores.Labels[i]) / (double)scores.Count;
                if (member) trainAccuracy += accuracy / options.ShadowCount;
                else heldOutAccuracy += accuracy / options.ShadowCount;
            }
        }
        return (features, isMember, trainAccuracy, heldOutAccuracy);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
