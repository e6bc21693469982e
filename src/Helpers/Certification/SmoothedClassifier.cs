using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Certification;

/// <summary>
/// Randomized smoothing (Cohen, Rosenfeld &amp; Kolter, ICML 2019): from a base classifier f, the smoothed classifier
/// g(x) = argmax_c P(f(x + ε) = c), ε ~ N(0, σ² I), whose prediction provably cannot change within the L2 radius
/// σ·Φ⁻¹(p_A) when the top class has probability p_A &gt; ½. g is evaluated by Monte Carlo: <see cref="Predict"/> and
/// <see cref="Certify"/> are the paper's PREDICT and CERTIFY, and either may abstain (<see cref="Abstain"/>).
/// </summary>
/// <remarks>
/// Noise samples are drawn and classified in batches of at most <see cref="BatchSize"/> (each batch in its own dispose
/// scope), so n = 100 000 samples need memory for one batch only. The noisy images are not clamped, as in the paper.
/// </remarks>
public sealed class SmoothedClassifier
{
    /// <summary>The class returned when the smoothed classifier abstains.</summary>
    public const int Abstain = -1;

    private readonly int? _seed;
    private Generator? _generator;

    /// <summary>Creates the smoothed classifier.</summary>
    /// <param name="baseClassifier">f: images → logits; trained with Gaussian noise of the same σ for useful certificates.</param>
    /// <param name="numClasses">Number of classes (logits) of f.</param>
    /// <param name="sigma">Noise standard deviation σ in pixel units.</param>
    /// <param name="batchSize">Noisy copies classified per forward pass.</param>
    /// <param name="seed">Seed of the noise (null: TorchSharp's global generator).</param>
    public SmoothedClassifier(nn.Module<Tensor, Tensor> baseClassifier, int numClasses, double sigma, int batchSize = 1000, int? seed = null)
    {
        BaseClassifier = baseClassifier ?? throw new ArgumentNullException(nameof(baseClassifier));
        NumClasses = Guard.AtLeast(numClasses, 2, nameof(numClasses));
        Sigma = SmoothingArguments.Sigma(sigma);
        BatchSize = Guard.AtLeast(batchSize, 1, nameof(batchSize));
        _seed = seed;
    }

    /// <summary>The base classifier f.</summary>
    public nn.Module<Tensor, Tensor> BaseClassifier { get; }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Noise standard deviation σ.</summary>
    public double Sigma { get; }

    /// <summary>Largest number of noisy copies per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// How often f picks each class on <paramref name="samples"/> noisy copies of one image: counts[c] = #{i : f(x + εᵢ) = c}.
    /// </summary>
    /// <param name="image">One image, (C, H, W) or (1, C, H, W).</param>
    /// <param name="samples">Number of noise draws, ≥ 1.</param>
    public long[] SampleCounts(Tensor image, int samples)
    {
        var x = SmoothingArguments.SingleImage(image);
        Guard.AtLeast(samples, 1, nameof(samples));
        var counts = new long[NumClasses];
        bool wasTraining = BaseClassifier.training;
        BaseClassifier.eval();
        try
        {
            using var noGrad = no_grad();
            for (int done = 0; done < samples; done += BatchSize)
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                int size = Math.Min(BatchSize, samples - done);
                var shape = x.shape.ToArray();
                shape[0] = size;
                var noise = randn(shape, dtype: x.dtype, device: x.device, generator: GeneratorFor(x.device));
                var logits = BaseClassifier.forward(x.expand(shape) + noise * Sigma);
                if (logits.ndim != 2 || logits.shape[1] != NumClasses)
                    throw new ArgumentException(
                        $"The base classifier returned logits shaped {Guard.Shape(logits)}; expected ({size}, {NumClasses}) for NumClasses = {NumClasses}.");
                var perClass = logits.argmax(1).bincount(null, NumClasses).cpu().data<long>().ToArray();
                for (int c = 0; c < NumClasses; c++) counts[c] += perClass[c];
            }
        }
        finally
        {
            BaseClassifier.train(wasTraining);
        }
        return counts;
    }

    /// <summary>
    /// PREDICT: the top two classes of n noisy samples, and the top class if a two-sided binomial test rejects
    /// "both are equally likely" at level α; otherwise <see cref="Abstain"/>. Returns a wrong class with probability at most α.
    /// </summary>
    /// <param name="image">One image, (C, H, W) or (1, C, H, W).</param>
    /// <param name="samples">n, e.g. 100 000 in the paper.</param>
    /// <param name="alpha">α, e.g. 0.001.</param>
    public SmoothedPrediction Predict(Tensor image, int samples, double alpha)
    {
        SmoothingArguments.Alpha(alpha);
        var counts = SampleCounts(image, samples);
        var order = Enumerable.Range(0, NumClasses).OrderByDescending(c => counts[c]).ThenBy(c => c).ToArray();
        long top = counts[order[0]], second = counts[order[1]];
        double pValue = ClopperPearson.BinomialTestHalf(top, top + second);
        return new SmoothedPrediction(pValue <= alpha ? order[0] : Abstain, counts, pValue);
    }

    /// <summary>
    /// CERTIFY: guesses the top class c_A from n₀ samples, estimates a (1 − α) lower confidence bound p̲_A on its
    /// probability from n fresh samples (Clopper–Pearson), and returns c_A with the L2 radius σ·Φ⁻¹(p̲_A) when
    /// p̲_A &gt; ½; otherwise abstains with radius 0.
    /// </summary>
    /// <param name="image">One image, (C, H, W) or (1, C, H, W).</param>
    /// <param name="selectionSamples">n₀, e.g. 100.</param>
    /// <param name="samples">n, e.g. 100 000.</param>
    /// <param name="alpha">α, e.g. 0.001.</param>
    public Certificate Certify(Tensor image, int selectionSamples, int samples, double alpha)
    {
        SmoothingArguments.Alpha(alpha);
        var selection = SampleCounts(image, selectionSamples);
        int guess = Enumerable.Range(0, NumClasses).MaxBy(c => selection[c]);
        var counts = SampleCounts(image, samples);
        double lower = ClopperPearson.LowerBound(counts[guess], samples, alpha);
        return lower > 0.5
            ? new Certificate(guess, Radius(Sigma, lower), lower, counts[guess], samples)
            : new Certificate(Abstain, 0, lower, counts[guess], samples);
    }

    /// <summary><see cref="Certify"/> on every image of <paramref name="data"/>, with the label for scoring.</summary>
    /// <param name="data">Images and labels.</param>
    /// <param name="selectionSamples">n₀.</param>
    /// <param name="samples">n.</param>
    /// <param name="alpha">α.</param>
    /// <param name="device">Where the base classifier is (default: CPU).</param>
    /// <param name="log">Where the closing line goes (null: nowhere); live progress goes to <see cref="Runtime.Progress"/>.</param>
    public IReadOnlyList<LabelledCertificate> CertifyAll(ImageDataset data, int selectionSamples, int samples, double alpha,
                                                         Device? device = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var results = new List<LabelledCertificate>(data.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var progress = Runtime.Progress.Start($"certification σ = {Sigma}", data.Count, "image");
        for (int i = 0; i < data.Count; i++)
        {
            using var scope = NewDisposeScope();
            var (image, label) = data.Get(i);
            var certificate = Certify(image.to(device ?? CPU), selectionSamples, samples, alpha);
            results.Add(new LabelledCertificate(label.item<long>(), certificate));
            progress.Advance();
            if (log != null && i + 1 == data.Count)
                log.WriteLine($"σ = {Sigma}: certified {i + 1}/{data.Count} images ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        return results;
    }

    /// <summary>The certified L2 radius σ·Φ⁻¹(p̲_A) of a lower bound p̲_A &gt; ½ (0 for p̲_A ≤ ½, where nothing is certified).</summary>
    public static double Radius(double sigma, double lowerBound)
    {
        SmoothingArguments.Sigma(sigma);
        if (double.IsNaN(lowerBound) || lowerBound < 0 || lowerBound > 1)
            throw new ArgumentOutOfRangeException(nameof(lowerBound), lowerBound, $"lowerBound must be a probability in [0, 1]; got {lowerBound}.");
        if (lowerBound <= 0.5) return 0;
        if (lowerBound == 1) return double.PositiveInfinity;
        return sigma * StandardNormal.Quantile(lowerBound);
    }

    private Generator? GeneratorFor(Device device)
    {
        if (_seed is not { } seed) return null;
        return _generator ??= new Generator((ulong)seed, device);
    }
}
