using System.Globalization;
using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>Answers probabilities rounded to k decimals (Tramèr et al. 2016, section 6): less information per query.</summary>
public sealed class RoundedProbabilities : OutputDefense
{
    /// <summary>Creates the defense.</summary>
    /// <param name="decimals">k ≥ 0 (0: every probability becomes 0 or 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or above 8.</exception>
    public RoundedProbabilities(int decimals)
    {
        if (decimals < 0 || decimals > 8)
            throw new ArgumentOutOfRangeException(nameof(decimals), decimals, $"Round to 0 … 8 decimals; got {decimals}.");
        Decimals = decimals;
    }

    /// <summary>k.</summary>
    public int Decimals { get; }

    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"round to {Decimals} decimal{(Decimals == 1 ? "" : "s")}");

    /// <inheritdoc />
    public override Tensor Apply(Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        using var scope = NewDisposeScope();
        double factor = Math.Pow(10, Decimals);
        return scope.MoveToOuter((probabilities * factor).round() / factor);
    }
}
