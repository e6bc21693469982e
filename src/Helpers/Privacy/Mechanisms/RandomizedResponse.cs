namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>
/// Randomized response (Warner 1965) for one private bit: report the true bit with probability
/// p = e^ε / (1 + e^ε) and the flipped bit otherwise. Each report is ε-locally differentially private
/// (the likelihood ratio of any report under the two possible truths is p / (1 − p) = e^ε); δ = 0.
/// </summary>
/// <remarks>
/// If a fraction π of the population holds the bit, the expected fraction of "true" reports is
/// λ = p π + (1 − p)(1 − π) = (2p − 1) π + (1 − p). Hence π̂ = (λ̂ − (1 − p)) / (2p − 1) is an unbiased estimator
/// of π (<see cref="EstimateProportion(IReadOnlyCollection{bool}, double)"/>), with variance
/// λ(1 − λ) / (n (2p − 1)²): the price of privacy is the factor 1/(2p − 1)².
/// </remarks>
public sealed class RandomizedResponse
{
    private readonly Random _random;

    /// <summary>Creates randomized response at local privacy budget ε.</summary>
    /// <param name="epsilon">Privacy budget ε &gt; 0.</param>
    /// <param name="random">Source of randomness; pass a seeded <see cref="Random"/> for reproducible reports.</param>
    public RandomizedResponse(double epsilon, Random random)
    {
        Epsilon = Guard.PrivacyEpsilon(epsilon);
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The local privacy budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>The probability of reporting the truth, p = e^ε / (1 + e^ε) = 1 / (1 + e^−ε).</summary>
    public double KeepProbability => KeepProbabilityFor(Epsilon);

    /// <summary>The guarantee of one report: (ε, 0).</summary>
    public PrivacyBudget Guarantee => new(Epsilon, 0);

    /// <summary>p = e^ε / (1 + e^ε) for a budget ε &gt; 0.</summary>
    public static double KeepProbabilityFor(double epsilon) => 1.0 / (1.0 + Math.Exp(-Guard.PrivacyEpsilon(epsilon)));

    /// <summary>One randomized report of <paramref name="truth"/>.</summary>
    public bool Respond(bool truth) => _random.NextDouble() < KeepProbability ? truth : !truth;

    /// <summary>One randomized report per true bit.</summary>
    public bool[] Respond(IReadOnlyList<bool> truths)
    {
        ArgumentNullException.ThrowIfNull(truths);
        var reports = new bool[truths.Count];
        for (var i = 0; i < reports.Length; i++) reports[i] = Respond(truths[i]);
        return reports;
    }

    /// <summary>Unbiased estimate of the true proportion from reports made at this mechanism's ε.</summary>
    public double EstimateProportion(IReadOnlyCollection<bool> reports) => EstimateProportion(reports, Epsilon);

    /// <summary>
    /// Unbiased estimate π̂ = (λ̂ − (1 − p)) / (2p − 1) of the true proportion, where λ̂ is the fraction of "true"
    /// reports made at budget ε. The estimate is not clipped to [0, 1] (clipping would bias it).
    /// </summary>
    /// <exception cref="ArgumentException">No reports.</exception>
    public static double EstimateProportion(IReadOnlyCollection<bool> reports, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0) throw new ArgumentException("at least one report is needed to estimate a proportion.", nameof(reports));
        var p = KeepProbabilityFor(epsilon);
        var observed = reports.Count(r => r) / (double)reports.Count;
        return (observed - (1 - p)) / (2 * p - 1);
    }

    /// <summary>The variance of <see cref="EstimateProportion(IReadOnlyCollection{bool}, double)"/> for n reports when the true proportion is π.</summary>
    public static double EstimatorVariance(double trueProportion, int count, double epsilon)
    {
        if (double.IsNaN(trueProportion) || trueProportion < 0 || trueProportion > 1)
            throw new ArgumentOutOfRangeException(nameof(trueProportion), trueProportion, $"trueProportion must lie in [0, 1]; got {trueProportion}.");
        Guard.AtLeast(count, 1, nameof(count));
        var p = KeepProbabilityFor(epsilon);
        var lambda = (2 * p - 1) * trueProportion + (1 - p);
        return lambda * (1 - lambda) / (count * (2 * p - 1) * (2 * p - 1));
    }
}
