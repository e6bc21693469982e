using static TorchSharp.torch;

namespace ModelSecurity.Certification;

/// <summary>
/// A differentiable stand-in for the smoothed classifier, to attack it with gradient attacks (Salman et al. 2019's
/// SmoothAdv): log of the mean softmax of f over <see cref="Samples"/> noisy copies, log((1/m) Σᵢ softmax(f(x + εᵢ))),
/// εᵢ ~ N(0, σ² I), fresh noise on every call (expectation over transformation). Its argmax estimates the smoothed
/// classifier's "soft" prediction; hand it to <c>Pgd</c> with <c>Norm.L2</c>.
/// </summary>
public sealed class SmoothedSoftmax : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> baseClassifier;

    /// <summary>Wraps <paramref name="baseClassifier"/>.</summary>
    /// <param name="baseClassifier">f: images → logits.</param>
    /// <param name="sigma">Noise standard deviation σ.</param>
    /// <param name="samples">Noise draws m per image and call.</param>
    public SmoothedSoftmax(nn.Module<Tensor, Tensor> baseClassifier, double sigma, int samples = 32) : base(nameof(SmoothedSoftmax))
    {
        this.baseClassifier = baseClassifier ?? throw new ArgumentNullException(nameof(baseClassifier));
        Sigma = SmoothingArguments.Sigma(sigma);
        Samples = Guard.AtLeast(samples, 1, nameof(samples));
        RegisterComponents();
    }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <summary>m, noise draws per image.</summary>
    public int Samples { get; }

    /// <summary>log of the mean softmax over noisy copies, shaped (N, classes); usable as logits.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim < 2) throw new ArgumentException($"SmoothedSoftmax takes a batch (N, C, H, W); got {Guard.Shape(input)}.", nameof(input));
        long n = input.shape[0];
        var repeated = input.repeat_interleave(Samples, dim: 0);
        var probabilities = baseClassifier.forward(repeated + randn_like(repeated) * Sigma).softmax(1);
        return probabilities.view(n, Samples, -1).mean(new long[] { 1 }).clamp_min(1e-12).log();
    }
}
