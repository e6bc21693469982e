namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>Argument checks for membership scores.</summary>
internal static class ScoreChecks
{
    /// <summary>Throws unless <paramref name="scores"/> is non-empty and free of NaN.</summary>
    public static void Validate(IReadOnlyList<double>? scores, string name)
    {
        ArgumentNullException.ThrowIfNull(scores, name);
        if (scores.Count == 0)
            throw new ArgumentException($"{name} is empty: membership inference needs at least one member and one non-member score.", name);
        for (int i = 0; i < scores.Count; i++)
            if (double.IsNaN(scores[i]))
                throw new ArgumentException($"{name}[{i}] is NaN; scores must be numbers (±∞ allowed).", name);
    }
}
