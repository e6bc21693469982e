using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>The verdict of <see cref="ActivationClustering"/> on one label.</summary>
/// <param name="Label">The label.</param>
/// <param name="Rows">Number of rows with this label.</param>
/// <param name="SmallerCluster">Row indices (into the whole data set) of the smaller of the two clusters, ascending.</param>
/// <param name="RelativeSize">Size of the smaller cluster / rows of the label (≤ 0.5).</param>
/// <param name="Flagged">True when the relative size is at most the threshold: the smaller cluster is taken to be poison.</param>
public sealed record ClusterVerdict(long Label, int Rows, IReadOnlyList<long> SmallerCluster, double RelativeSize, bool Flagged);

/// <summary>
/// Activation clustering (Chen et al. 2018, "Detecting Backdoor Attacks on Deep Neural Networks by Activation
/// Clustering"): for every label, project the representations of its rows onto their top principal components and
/// split them into two clusters with k-means. A clean label splits into two comparable halves; a label that received
/// poisons splits into its clean rows and a small cluster of poisons, which the model represents differently. A
/// cluster holding at most <c>threshold</c> of a label's rows (0.35 in the paper's relative-size test) is flagged.
/// </summary>
public static class ActivationClustering
{
    /// <summary>Clusters every label's representations (N, d) and returns one verdict per label, by label.</summary>
    /// <param name="features">Representations (N, d), e.g. <see cref="Representations.LinearInput"/>.</param>
    /// <param name="labels">Labels (N).</param>
    /// <param name="components">Principal components kept before clustering (default 10, as in the paper).</param>
    /// <param name="threshold">Largest relative size of a cluster flagged as poison (default 0.35).</param>
    /// <param name="seed">Seed of the k-means initialisation.</param>
    /// <exception cref="ArgumentException">Shapes that do not belong together.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1 component, or a threshold outside (0, 0.5].</exception>
    public static IReadOnlyList<ClusterVerdict> Analyze(Tensor features, Tensor labels, int components = 10, double threshold = 0.35, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.ndim != 2 || labels.ndim != 1 || features.shape[0] != labels.shape[0])
            throw new ArgumentException($"Expected representations (N, d) and labels (N); got {Guard.Shape(features)} and {Guard.Shape(labels)}.", nameof(labels));
        Guard.AtLeast(components, 1, nameof(components));
        if (!(threshold > 0 && threshold <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"The relative-size threshold must lie in (0, 0.5]; got {threshold}.");
        long[] y = labels.cpu().data<long>().ToArray();
        var verdicts = new List<ClusterVerdict>();
        foreach (long label in y.Distinct().Order())
        {
            long[] rows = Enumerable.Range(0, y.Length).Where(i => y[i] == label).Select(i => (long)i).ToArray();
            bool[] inFirst = TwoMeans(Project(features, rows, components), seed);
            int first = inFirst.Count(b => b);
            bool smallerIsFirst = first <= rows.Length - first;
            long[] smaller = rows.Where((_, k) => inFirst[k] == smallerIsFirst).ToArray();
            double relative = rows.Length == 0 ? 0 : (double)smaller.Length / rows.Length;
            verdicts.Add(new ClusterVerdict(label, rows.Length, smaller, relative, rows.Length >= 2 && relative <= threshold));
        }
        return verdicts;
    }

    /// <summary>The rows the defense removes: the smaller cluster of every flagged label, ascending.</summary>
    public static long[] Flagged(IReadOnlyList<ClusterVerdict> verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        return verdicts.Where(v => v.Flagged).SelectMany(v => v.SmallerCluster).Order().ToArray();
    }

    /// <summary>The rows' centred representations projected on their top principal components, as managed rows.</summary>
    private static double[][] Project(Tensor features, long[] rows, int components)
    {
        using var scope = NewDisposeScope();
        var x = features.index_select(0, tensor(rows, device: features.device)).to_type(ScalarType.Float64);
        var centred = x - x.mean(new long[] { 0 }, keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
        int k = (int)Math.Min(components, vh.shape[0]);
        var projected = centred.matmul(vh.narrow(0, 0, k).t()).cpu().contiguous();
        double[] flat = projected.data<double>().ToArray();
        return Enumerable.Range(0, rows.Length).Select(i => flat.AsSpan(i * k, k).ToArray()).ToArray();
    }

    /// <summary>k-means with k = 2 (k-means++ start, Lloyd iterations); true for the rows of the first cluster.</summary>
    private static bool[] TwoMeans(double[][] points, int seed)
    {
        int n = points.Length;
        var assignment = new bool[n];
        if (n < 2) return assignment;
        var random = new Random(seed);
        double[] a = (double[])points[random.Next(n)].Clone();
        double[] distances = points.Select(p => Squared(p, a)).ToArray();
        double total = distances.Sum(), pick = random.NextDouble() * total;
        int second = 0;
        for (double cumulative = 0; second < n - 1; second++)
        {
            cumulative += distances[second];
            if (cumulative >= pick) break;
        }
        double[] b = (double[])points[second].Clone();
        for (int iteration = 0; iteration < 100; iteration++)
        {
            bool changed = false;
            for (int i = 0; i < n; i++)
            {
                bool first = Squared(points[i], a) <= Squared(points[i], b);
                if (first != assignment[i] || iteration == 0) changed = true;
                assignment[i] = first;
            }
            if (!changed) break;
            a = Mean(points, assignment, true) ?? a;
            b = Mean(points, assignment, false) ?? b;
        }
        return assignment;
    }

    private static double Squared(double[] p, double[] q)
    {
        double sum = 0;
        for (int j = 0; j < p.Length; j++) sum += (p[j] - q[j]) * (p[j] - q[j]);
        return sum;
    }

    private static double[]? Mean(double[][] points, bool[] assignment, bool cluster)
    {
        var members = points.Where((_, i) => assignment[i] == cluster).ToList();
        if (members.Count == 0) return null;
        return Enumerable.Range(0, members[0].Length).Select(j => members.Average(m => m[j])).ToArray();
    }
}
