using System.Globalization;
using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>
/// Perturbs the answer: Gaussian noise of standard deviation σ added to the probabilities, then clamped at 0 and
/// renormalised; the top-1 label is kept when <see cref="KeepTopLabel"/> (a utility constraint as in Orekondy et al.'s
/// prediction poisoning), by moving the original top class's probability back to the maximum if noise displaced it.
/// </summary>
public sealed class NoisyProbabilities : OutputDefense
{
    private readonly Generator _generator;

    /// <summary>Creates the defense.</summary>
    /// <param name="sigma">σ &gt; 0, in probability units (e.g. 0.1).</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <param name="keepTopLabel">Keep the predicted label unchanged (default true).</param>
    /// <exception cref="ArgumentOutOfRangeException">σ is not a finite number &gt; 0.</exception>
    public NoisyProbabilities(double sigma, int seed = 0, bool keepTopLabel = true)
    {
        Sigma = Guard.Positive(sigma, nameof(sigma));
        KeepTopLabel = keepTopLabel;
        _generator = new Generator((ulong)seed);
    }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <summary>Whether the top-1 label is preserved.</summary>
    public bool KeepTopLabel { get; }

    /// <inheritdoc />
    public override string Name => string.Create(CultureInfo.InvariantCulture, $"Gaussian noise σ = {Sigma:G3}{(KeepTopLabel ? ", top-1 kept" : "")}");

    /// <inheritdoc />
    public override Tensor Apply(Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        using var scope = NewDisposeScope();
        var noise = randn(probabilities.shape, generator: _generator).to(probabilities.device) * Sigma;
        var noisy = (probabilities + noise).clamp_min(0);
        if (KeepTopLabel)
        {
            // Swap the original top class's value with the new maximum, so that argmax is unchanged.
            var top = probabilities.argmax(1, keepdim: true);
            var newTop = noisy.argmax(1, keepdim: true);
            var topValue = noisy.gather(1, top);
            var maxValue = noisy.gather(1, newTop);
            noisy = noisy.scatter(1, newTop, topValue).scatter(1, top, maxValue);
        }
        var sum = noisy.sum(1, keepdim: true).clamp_min(1e-12);
        return scope.MoveToOuter(noisy / sum);
    }
}
