using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// Spectral signatures (Tran, Li and Madry, NeurIPS 2018): within the examples of one label, poisons leave a trace in
/// the learned representation that is strong along one direction. Centre the representations R of the label (one row
/// per example), take the top right singular vector v of the centred matrix, and score each example by
/// ((r − r̄)·v)²; the poisons score highest. The defense removes, from every label, the 1.5 × (expected number of
/// poisons) highest-scoring examples and retrains.
/// </summary>
public static class SpectralSignatures
{
    /// <summary>The factor of Tran et al.: remove 1.5 × the expected number of poisons from each label.</summary>
    public const double DefaultRemovalFactor = 1.5;

    /// <summary>
    /// Outlier scores of the rows of one label's representations (N, d): ((rᵢ − r̄)·v)² with v the top right singular
    /// vector of the centred matrix. Returns a new float32 tensor (N) on the features' device.
    /// </summary>
    /// <exception cref="ArgumentException">The features are not a 2-D floating-point matrix.</exception>
    public static Tensor Scores(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.ndim != 2 || !features.is_floating_point())
            throw new ArgumentException($"Expected representations as a floating-point matrix (N, d), got {features.dtype} shaped {Guard.Shape(features)}.", nameof(features));
        if (features.shape[0] == 0) return zeros(0, dtype: ScalarType.Float32, device: features.device);
        using var scope = NewDisposeScope();
        var x = features.to_type(ScalarType.Float64);
        var centred = x - x.mean(new long[] { 0 }, keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
        var top = vh[0];
        return scope.MoveToOuter(centred.matmul(top).square().to_type(ScalarType.Float32));
    }

    /// <summary>
    /// The score of every row of a data set, computed within its label's group (<see cref="Scores(Tensor)"/>):
    /// representations (N, d) and labels (N).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not belong together.</exception>
    public static double[] ScoresByLabel(Tensor features, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.ndim != 2 || labels.ndim != 1 || features.shape[0] != labels.shape[0])
            throw new ArgumentException($"Expected representations (N, d) and labels (N); got {Guard.Shape(features)} and {Guard.Shape(labels)}.", nameof(labels));
        long[] y = labels.cpu().data<long>().ToArray();
        var scores = new double[y.Length];
        foreach (long label in y.Distinct())
        {
            using var scope = NewDisposeScope();
            long[] rows = Enumerable.Range(0, y.Length).Where(i => y[i] == label).Select(i => (long)i).ToArray();
            var index = tensor(rows, device: features.device);
            float[] s = Scores(features.index_select(0, index)).cpu().data<float>().ToArray();
            for (int k = 0; k < rows.Length; k++) scores[rows[k]] = s[k];
        }
        return scores;
    }

    /// <summary>
    /// The rows the defense removes: in every label, the ⌈<paramref name="removalFactor"/> × <paramref name="expectedPoisons"/>⌉
    /// highest-scoring rows (all of a label's rows if it has fewer), ascending.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative expected count or a removal factor ≤ 0.</exception>
    public static long[] Flag(Tensor features, Tensor labels, int expectedPoisons, double removalFactor = DefaultRemovalFactor)
    {
        Guard.AtLeast(expectedPoisons, 0, nameof(expectedPoisons));
        Guard.Positive(removalFactor, nameof(removalFactor));
        double[] scores = ScoresByLabel(features, labels);
        long[] y = labels.cpu().data<long>().ToArray();
        int perLabel = (int)Math.Ceiling(removalFactor * expectedPoisons);
        return Enumerable.Range(0, y.Length)
            .GroupBy(i => y[i])
            .SelectMany(g => g.OrderByDescending(i => scores[i]).Take(perLabel))
            .Select(i => (long)i)
            .Order()
            .ToArray();
    }
}
