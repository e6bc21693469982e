namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// The ROC curve of a membership score: <b>higher score = more likely a member</b> (negate losses first, as
/// <see cref="LossThresholdAttack"/> does). One point per distinct score, so tied scores move TPR and FPR together
/// (a diagonal segment), plus the corner (0, 0) at threshold +∞.
/// </summary>
public sealed class RocCurve
{
    private readonly double[] _members;
    private readonly double[] _nonMembers;

    /// <summary>Builds the curve of the given scores.</summary>
    /// <param name="memberScores">Scores of the examples that were in the training set; not empty, no NaN.</param>
    /// <param name="nonMemberScores">Scores of examples that were not; not empty, no NaN.</param>
    /// <exception cref="ArgumentException">A score set is empty or holds NaN.</exception>
    public RocCurve(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores)
    {
        ScoreChecks.Validate(memberScores, nameof(memberScores));
        ScoreChecks.Validate(nonMemberScores, nameof(nonMemberScores));
        _members = memberScores.ToArray();
        _nonMembers = nonMemberScores.ToArray();
        RocPoint[] points = BuildPoints(_members, _nonMembers);
        Points = Array.AsReadOnly(points);
        Auc = TrapezoidArea(points);
        Best = points.MaxBy(p => p.Advantage); // first (highest threshold) among equals
    }

    /// <summary>Number of member scores.</summary>
    public int MemberCount => _members.Length;

    /// <summary>Number of non-member scores.</summary>
    public int NonMemberCount => _nonMembers.Length;

    /// <summary>The curve from (0, 0) at threshold +∞ to (1, 1) at the lowest score, thresholds decreasing.</summary>
    public IReadOnlyList<RocPoint> Points { get; }

    /// <summary>
    /// Area under the curve: the probability that a random member scores higher than a random non-member, ties
    /// counting one half (the Mann–Whitney U statistic / (m·n)); 0.5 = no better than guessing, 1 = perfect separation.
    /// </summary>
    public double Auc { get; }

    /// <summary>
    /// The point with the largest advantage TPR − FPR and its threshold. Chosen on these very scores, so it is an
    /// optimistic (in-sample) estimate; pick the threshold on separate calibration data for an honest one.
    /// </summary>
    public RocPoint Best { get; }

    /// <summary>The largest advantage max(TPR − FPR) over thresholds (≥ 0, since threshold +∞ gives 0).</summary>
    public double BestAdvantage => Best.Advantage;

    /// <summary>
    /// The highest TPR reachable with FPR ≤ <paramref name="maxFpr"/> by a threshold on the scores (no interpolation
    /// between points, no randomised rules); e.g. TPR at 1% FPR, the low-FPR figure of Carlini et al. 2022.
    /// </summary>
    /// <param name="maxFpr">Largest tolerated false-positive rate in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxFpr"/> is outside [0, 1].</exception>
    public double TprAtFpr(double maxFpr)
    {
        if (double.IsNaN(maxFpr) || maxFpr < 0 || maxFpr > 1)
            throw new ArgumentOutOfRangeException(nameof(maxFpr), maxFpr, $"maxFpr must lie in [0, 1], e.g. 0.01; got {maxFpr}.");
        double best = 0;
        foreach (var p in Points)
            if (p.Fpr <= maxFpr + 1e-12) best = Math.Max(best, p.Tpr);
        return best;
    }

    /// <summary>TPR, FPR and accuracy of "member when score ≥ <paramref name="threshold"/>" on these scores.</summary>
    public BinaryMetrics At(double threshold) => BinaryMetrics.AtThreshold(_members, _nonMembers, threshold);

    /// <summary>
    /// AUC by direct Mann–Whitney counting, O(m·n): the fraction of (member, non-member) pairs where the member scores
    /// higher, ties counting ½. Equals <see cref="Auc"/>; kept as an independent check.
    /// </summary>
    public static double MannWhitneyAuc(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores)
    {
        ScoreChecks.Validate(memberScores, nameof(memberScores));
        ScoreChecks.Validate(nonMemberScores, nameof(nonMemberScores));
        double wins = 0;
        foreach (double m in memberScores)
            foreach (double n in nonMemberScores)
                wins += m > n ? 1 : m == n ? 0.5 : 0;
        return wins / ((double)memberScores.Count * nonMemberScores.Count);
    }

    /// <summary>For example "AUC 0.731, best advantage 0.395 (TPR 70.0%, FPR 30.5%), 200 members, 200 non-members".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"AUC {Auc:F3}, best advantage {BestAdvantage:F3} (TPR {Best.Tpr:P1}, FPR {Best.Fpr:P1}), {MemberCount} members, {NonMemberCount} non-members");

    private static RocPoint[] BuildPoints(double[] members, double[] nonMembers)
    {
        var all = new (double Score, bool Member)[members.Length + nonMembers.Length];
        for (int i = 0; i < members.Length; i++) all[i] = (members[i], true);
        for (int i = 0; i < nonMembers.Length; i++) all[members.Length + i] = (nonMembers[i], false);
        Array.Sort(all, (a, b) => b.Score.CompareTo(a.Score)); // descending

        var points = new List<RocPoint> { new(double.PositiveInfinity, 0, 0) };
        int tp = 0, fp = 0;
        for (int i = 0; i < all.Length;)
        {
            double score = all[i].Score;
            for (; i < all.Length && all[i].Score == score; i++) // a whole group of tied scores at once
                if (all[i].Member) tp++; else fp++;
            points.Add(new RocPoint(score, (double)fp / nonMembers.Length, (double)tp / members.Length));
        }
        return points.ToArray();
    }

    private static double TrapezoidArea(RocPoint[] points)
    {
        double area = 0;
        for (int i = 1; i < points.Length; i++)
            area += (points[i].Fpr - points[i - 1].Fpr) * (points[i].Tpr + points[i - 1].Tpr) / 2;
        return area;
    }
}
