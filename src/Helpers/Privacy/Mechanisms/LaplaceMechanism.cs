using static TorchSharp.torch;

namespace ModelSecurity.Privacy.Mechanisms;

/// <summary>
/// The Laplace mechanism (Dwork, McSherry, Nissim, Smith 2006): releases f(D) + Lap(b) with scale
/// b = Δ₁ / ε, where Δ₁ is the L1 sensitivity of f (the largest change of Σᵢ |f(D)ᵢ − f(D′)ᵢ| between
/// neighbouring data sets). The release is ε-differentially private (δ = 0). The noise has mean 0 and
/// variance 2b² per coordinate.
/// </summary>
/// <remarks>
/// For a vector query, <see cref="AdditiveNoiseMechanism.Apply(IReadOnlyList{double})"/> adds independent noise of the same scale to every
/// coordinate, so <see cref="Sensitivity"/> must be the L1 sensitivity of the whole vector (for a histogram where one
/// person changes one count by 1 it is 1; if one person can change k counts by 1 each it is k).
/// </remarks>
public sealed class LaplaceMechanism : AdditiveNoiseMechanism
{

    /// <summary>Creates the mechanism for a query of L1 sensitivity <paramref name="sensitivity"/> at budget ε.</summary>
    /// <param name="sensitivity">L1 sensitivity Δ₁ &gt; 0.</param>
    /// <param name="epsilon">Privacy budget ε &gt; 0.</param>
    /// <param name="random">Source of randomness; pass a seeded <see cref="Random"/> for reproducible noise.</param>
    public LaplaceMechanism(double sensitivity, double epsilon, Random random) : base(random)
    {
        Sensitivity = Guard.Positive(sensitivity, nameof(sensitivity));
        Epsilon = Guard.PrivacyEpsilon(epsilon);
    }

    /// <summary>The L1 sensitivity Δ₁ of the query.</summary>
    public double Sensitivity { get; }

    /// <summary>The privacy budget ε.</summary>
    public double Epsilon { get; }

    /// <summary>The noise scale b = Δ₁ / ε.</summary>
    public double Scale => Sensitivity / Epsilon;

    /// <summary>The noise variance 2b² (per coordinate).</summary>
    public double Variance => 2 * Scale * Scale;

    /// <summary>The guarantee of one release: (ε, 0).</summary>
    public PrivacyBudget Guarantee => new(Epsilon, 0);

    /// <inheritdoc />
    protected override double SampleNoise() => NoiseSampler.Laplace(Random, Scale);
}
