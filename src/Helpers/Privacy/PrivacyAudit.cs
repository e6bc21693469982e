using ModelSecurity.Certification;
using ModelSecurity.Privacy.MembershipInference;

namespace ModelSecurity.Privacy;

/// <summary>
/// Empirical lower bounds on ε from a membership test (Jagielski, Ullman, Oprea 2020; Nasr et al. 2021): an
/// (ε, δ)-DP training algorithm forces every test between "trained with the record" and "trained without it" to satisfy
/// TPR ≤ e^ε·FPR + δ and 1 − FPR ≤ e^ε·(1 − TPR) + δ, so a test that measurably beats those lines proves ε is larger.
/// </summary>
/// <remarks>
/// The rates are measured on finite samples, so the bound uses one-sided Clopper–Pearson <b>upper</b> bounds on the
/// false-positive rate FPR and the false-negative rate FNR = 1 − TPR, each at level α/2 (together, by the union bound,
/// the result holds with probability ≥ 1 − α):
/// ε ≥ max(0, ln((1 − δ − FNR̄)/FPR̄), ln((1 − δ − FPR̄)/FNR̄)). Plugging in the measured rates instead overclaims — with
/// no false positive at all it would "prove" ε = ∞. The bound is a lower bound on the ε of the <i>algorithm</i> (over its
/// randomness and the records tested), never an upper bound: a small audited ε says the attack was weak or the sample
/// small, not that the model is private. With n non-members the bound can never exceed about ln(n/ln(2/α)), whatever
/// the attack: FPR̄ ≥ 1 − (α/2)^{1/n} even with no false positive.
/// </remarks>
public static class PrivacyAudit
{
    /// <summary>
    /// The lower bound on ε proven at confidence 1 − α by a test that flagged <paramref name="truePositives"/> of
    /// <paramref name="members"/> members and <paramref name="falsePositives"/> of <paramref name="nonMembers"/> non-members.
    /// </summary>
    /// <param name="truePositives">Members flagged as members, in [0, members].</param>
    /// <param name="members">Members tested, ≥ 1.</param>
    /// <param name="falsePositives">Non-members flagged as members, in [0, nonMembers].</param>
    /// <param name="nonMembers">Non-members tested, ≥ 1.</param>
    /// <param name="delta">The δ of the guarantee being audited, in [0, 1).</param>
    /// <param name="alpha">Probability that the bound is wrong, in (0, 1); 0.05 for 95 % confidence.</param>
    /// <returns>ε̲ ≥ 0 (0 when the test proves nothing).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count or parameter is out of range.</exception>
    public static double EpsilonLowerBound(int truePositives, int members, int falsePositives, int nonMembers, double delta, double alpha = 0.05)
    {
        CheckCounts(truePositives, members, falsePositives, nonMembers, delta);
        if (double.IsNaN(alpha) || alpha <= 0 || alpha >= 1)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must lie in (0, 1), e.g. 0.05 for 95 % confidence; got {alpha}.");
        double fprUpper = ClopperPearson.UpperBound(falsePositives, nonMembers, alpha / 2);
        double fnrUpper = ClopperPearson.UpperBound(members - truePositives, members, alpha / 2);
        return Bound(fprUpper, fnrUpper, delta);
    }

    /// <summary>
    /// The same formula on the measured rates, with no confidence correction: what an audit would claim if it forgot that
    /// its rates are estimates. Overclaims (∞ with no false positive); shown only to compare with <see cref="EpsilonLowerBound"/>.
    /// </summary>
    public static double PointEstimate(int truePositives, int members, int falsePositives, int nonMembers, double delta)
    {
        CheckCounts(truePositives, members, falsePositives, nonMembers, delta);
        return Bound((double)falsePositives / nonMembers, (double)(members - truePositives) / members, delta);
    }

    /// <summary>
    /// Audits a membership score (higher = more likely a member) honestly: the threshold is chosen on the first half of
    /// each score list (the one that maximises the bound there), and the bound is computed on the second half only, so
    /// the choice does not inflate it.
    /// </summary>
    /// <param name="memberScores">Scores of records that were trained on; at least 2.</param>
    /// <param name="nonMemberScores">Scores of records that were not; at least 2.</param>
    /// <param name="delta">δ of the audited guarantee.</param>
    /// <param name="alpha">1 − confidence of the bound.</param>
    /// <exception cref="ArgumentException">Fewer than two scores on a side, or NaN scores.</exception>
    public static PrivacyAuditResult Run(IReadOnlyList<double> memberScores, IReadOnlyList<double> nonMemberScores, double delta, double alpha = 0.05)
    {
        ScoreChecks.Validate(memberScores, nameof(memberScores));
        ScoreChecks.Validate(nonMemberScores, nameof(nonMemberScores));
        if (memberScores.Count < 2 || nonMemberScores.Count < 2)
            throw new ArgumentException($"An audit splits each score list in halves (threshold choice, then the bound); give at least 2 scores per side " +
                                        $"(got {memberScores.Count} member and {nonMemberScores.Count} non-member scores).");
        int mHalf = memberScores.Count / 2, nHalf = nonMemberScores.Count / 2;
        var (chooseMembers, auditMembers) = (memberScores.Take(mHalf).ToArray(), memberScores.Skip(mHalf).ToArray());
        var (chooseNon, auditNon) = (nonMemberScores.Take(nHalf).ToArray(), nonMemberScores.Skip(nHalf).ToArray());

        double bestThreshold = double.PositiveInfinity, bestBound = -1;
        foreach (double threshold in chooseMembers.Concat(chooseNon).Distinct())
        {
            double bound = EpsilonLowerBound(chooseMembers.Count(s => s >= threshold), chooseMembers.Length,
                                             chooseNon.Count(s => s >= threshold), chooseNon.Length, delta, alpha);
            if (bound > bestBound) (bestBound, bestThreshold) = (bound, threshold);
        }
        int tp = auditMembers.Count(s => s >= bestThreshold), fp = auditNon.Count(s => s >= bestThreshold);
        return new PrivacyAuditResult(bestThreshold, tp, auditMembers.Length, fp, auditNon.Length, delta, alpha,
            EpsilonLowerBound(tp, auditMembers.Length, fp, auditNon.Length, delta, alpha),
            PointEstimate(tp, auditMembers.Length, fp, auditNon.Length, delta),
            EpsilonLowerBound(auditMembers.Length, auditMembers.Length, 0, auditNon.Length, delta, alpha));
    }

    private static double Bound(double fpr, double fnr, double delta)
    {
        double Log(double numerator, double denominator) =>
            numerator <= 0 ? 0 : denominator <= 0 ? double.PositiveInfinity : Math.Log(numerator / denominator);
        return Math.Max(0, Math.Max(Log(1 - delta - fnr, fpr), Log(1 - delta - fpr, fnr)));
    }

    private static void CheckCounts(int truePositives, int members, int falsePositives, int nonMembers, double delta)
    {
        if (members < 1) throw new ArgumentOutOfRangeException(nameof(members), members, $"Test at least one member; got {members}.");
        if (nonMembers < 1) throw new ArgumentOutOfRangeException(nameof(nonMembers), nonMembers, $"Test at least one non-member; got {nonMembers}.");
        if (truePositives < 0 || truePositives > members)
            throw new ArgumentOutOfRangeException(nameof(truePositives), truePositives, $"True positives must lie in [0, members = {members}]; got {truePositives}.");
        if (falsePositives < 0 || falsePositives > nonMembers)
            throw new ArgumentOutOfRangeException(nameof(falsePositives), falsePositives, $"False positives must lie in [0, non-members = {nonMembers}]; got {falsePositives}.");
        if (double.IsNaN(delta) || delta < 0 || delta >= 1)
            throw new ArgumentOutOfRangeException(nameof(delta), delta, $"δ must lie in [0, 1), e.g. 1e-5; got {delta}.");
    }
}
