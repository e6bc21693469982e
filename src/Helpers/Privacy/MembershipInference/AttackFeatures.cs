namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// The features the shadow-model attack sees for one example: the softmax vector sorted in decreasing order
/// (label-free, as in Shokri et al. 2017, so one attack model serves all classes), the cross-entropy loss
/// (capped at <see cref="LossCap"/>) and log(1 − top probability + 10⁻⁶) (how saturated the model is).
/// </summary>
public static class AttackFeatures
{
    /// <summary>Losses above this are clipped, so a few hopeless examples do not dominate the standardisation.</summary>
    public const double LossCap = 20;

    /// <summary>Number of features for <paramref name="numClasses"/> classes: the sorted softmax, loss and saturation.</summary>
    public static int Count(int numClasses) => numClasses + 2;

    /// <summary>One feature row per example of <paramref name="scores"/>.</summary>
    public static double[][] From(MembershipScores scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var rows = new double[scores.Count][];
        for (int i = 0; i < scores.Count; i++)
        {
            float[] p = scores.Probabilities[i];
            var row = new double[Count(p.Length)];
            double[] sorted = p.Select(v => (double)v).OrderDescending().ToArray();
            sorted.CopyTo(row, 0);
            row[p.Length] = Math.Min(scores.Losses[i], LossCap);
            row[p.Length + 1] = Math.Log(Math.Max(0, 1 - sorted[0]) + 1e-6);
            rows[i] = row;
        }
        return rows;
    }
}
