using System.Globalization;

namespace ModelSecurity.Federated.Strategies;

/// <summary>
/// Krum (Blanchard et al. 2017): with K updates of which at most f are Byzantine, each update gets the score
/// Σ ‖Δ_i − Δ_j‖² over its K − f − 2 nearest other updates, and the update with the lowest score becomes the
/// aggregate; an outlier far from the honest cluster gets a high score and is never chosen. Multi-Krum averages the
/// m updates with the lowest scores (m = 1 is Krum). Needs K ≥ 2f + 3. Client sizes are ignored.
/// </summary>
public sealed class Krum : AggregationStrategy
{
    /// <summary>Creates (Multi-)Krum.</summary>
    /// <param name="byzantine">f ≥ 0, the number of Byzantine clients to tolerate.</param>
    /// <param name="selected">m ≥ 1, how many best-scored updates to average (1: Krum).</param>
    /// <exception cref="ArgumentOutOfRangeException">f &lt; 0 or m &lt; 1.</exception>
    public Krum(int byzantine, int selected = 1)
    {
        if (byzantine < 0)
            throw new ArgumentOutOfRangeException(nameof(byzantine), byzantine, $"The number of Byzantine clients f must be ≥ 0; got {byzantine}.");
        if (selected < 1)
            throw new ArgumentOutOfRangeException(nameof(selected), selected, $"Multi-Krum averages m ≥ 1 updates; got m = {selected}.");
        Byzantine = byzantine;
        Selected = selected;
    }

    /// <summary>f, the Byzantine clients tolerated.</summary>
    public int Byzantine { get; }

    /// <summary>m, the number of updates averaged.</summary>
    public int Selected { get; }

    /// <summary>The clients whose updates were chosen in the last round, best first.</summary>
    public IReadOnlyList<int> LastSelectedClients { get; private set; } = [];

    /// <summary>The Krum score of every update of the last round, in the order of the updates.</summary>
    public IReadOnlyList<double> LastScores { get; private set; } = [];

    /// <summary>2f + 3 (and at least m).</summary>
    public override int MinimumUpdates => Math.Max(2 * Byzantine + 3, Selected);

    /// <inheritdoc />
    public override string Name => Selected == 1
        ? string.Create(CultureInfo.InvariantCulture, $"Krum (f = {Byzantine})")
        : string.Create(CultureInfo.InvariantCulture, $"Multi-Krum (f = {Byzantine}, m = {Selected})");

    /// <inheritdoc />
    protected override float[] Step(int round, float[] globalWeights, IReadOnlyList<ClientUpdate> updates)
    {
        int k = updates.Count;
        if (k < 2 * Byzantine + 3)
            throw new ArgumentException(
                $"Krum with f = {Byzantine} Byzantine clients needs at least 2f + 3 = {2 * Byzantine + 3} updates, but got {k}: " +
                $"it tolerates at most f = {Math.Max(0, (k - 3) / 2)} with {k} clients. Lower f or sample more clients per round.",
                nameof(updates));
        if (Selected > k)
            throw new ArgumentException($"Multi-Krum with m = {Selected} needs at least {Selected} updates; got {k}.", nameof(updates));

        var distance = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++)
                distance[i, j] = distance[j, i] = VectorMath.SquaredDistance(updates[i].Delta, updates[j].Delta);

        int neighbours = k - Byzantine - 2;
        var scores = new double[k];
        for (int i = 0; i < k; i++)
        {
            var others = new List<double>(k - 1);
            for (int j = 0; j < k; j++) if (j != i) others.Add(distance[i, j]);
            others.Sort();
            scores[i] = others.Take(neighbours).Sum();
        }
        int[] best = Enumerable.Range(0, k).OrderBy(i => scores[i]).ThenBy(i => i).Take(Selected).ToArray();
        LastScores = scores;
        LastSelectedClients = best.Select(i => updates[i].ClientId).ToArray();

        double[] mean = VectorMath.WeightedSum(best.Select(i => updates[i].Delta).ToArray(), Enumerable.Repeat(1.0 / Selected, Selected).ToArray(), globalWeights.Length);
        return VectorMath.AddScaled(globalWeights, mean, 1.0);
    }
}
