using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// DP-SGD's update (Abadi et al. 2016, Algorithm 1) around an ordinary optimizer, as Opacus's <c>DPOptimizer</c>.
/// For one logical batch: per-example gradients (<see cref="GradSampleModule"/>), each clipped to norm C over all
/// parameters jointly (<see cref="PerExampleClipping"/>), summed; Gaussian noise N(0, σ²C²) added once to every
/// coordinate of the sum; the result divided by the EXPECTED batch size q·N and handed to the wrapped optimizer as
/// the gradient. Any optimizer works (SGD, momentum, Adam): what it does with a privatised gradient is post-processing.
/// </summary>
/// <remarks>
/// <para>
/// Why the expected batch size: with Poisson sampling the actual batch size depends on the data (which examples were
/// drawn), so dividing by it would need privacy of its own; q·N is public (Opacus's convention). An empty batch
/// still makes a step: noise only.
/// </para>
/// <para>
/// Virtual batches: the logical batch is processed in physical chunks of at most <see cref="MaxPhysicalBatchSize"/>
/// examples; the clipped sums are accumulated and noise is added once per logical batch, so the update is the same as
/// with one big chunk, while memory (per-example gradients: chunk size × number of parameters) stays bounded.
/// </para>
/// <para>
/// Gradients: the wrapped parameters' <c>.grad</c> is overwritten by the private gradient just before the wrapped
/// optimizer's step (whatever was there, e.g. from an earlier <c>backward()</c>, is not added) and set to null right
/// after it, so no gradient — private or not — is left behind for a later step to pick up.
/// </para>
/// <para>
/// Every tensor of a step lives in its own dispose scope (one per chunk inside it). Noise comes from a seeded
/// generator on the model's device: reproducible, which a course wants; a deployment would use a cryptographically
/// secure source (Opacus's <c>secure_mode</c>).
/// </para>
/// </remarks>
public sealed class DpSgdOptimizer : IDisposable
{
    private readonly GradSampleModule _gradSample;
    private readonly Action<double, double, int>? _onStep;
    private Generator? _generator;
    private readonly ulong _noiseSeed;
    private bool _disposed;

    /// <summary>Wraps <paramref name="optimizer"/>, which must hold the trainable parameters of <paramref name="gradSample"/>'s model.</summary>
    /// <param name="gradSample">Computes the per-example gradients (not owned: dispose it separately).</param>
    /// <param name="optimizer">The optimizer that applies the private gradient (not owned).</param>
    /// <param name="noiseMultiplier">σ ≥ 0: noise standard deviation in units of C (0: no noise, no privacy).</param>
    /// <param name="maxGradNorm">C &gt; 0: per-example clipping norm.</param>
    /// <param name="sampleRate">q in (0, 1]: the batch sampling rate, reported to the accountant.</param>
    /// <param name="expectedBatchSize">q·N &gt; 0: the divisor of the noisy sum.</param>
    /// <param name="maxPhysicalBatchSize">Largest chunk processed at once, ≥ 1.</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <param name="onStep">Called after every step with (σ, q, 1): an accountant's <c>Step</c> fits here.</param>
    /// <exception cref="ArgumentOutOfRangeException">σ, C, q, q·N or the physical batch size is out of range (or NaN).</exception>
    /// <exception cref="ArgumentException">The optimizer does not hold every trainable parameter of the model.</exception>
    public DpSgdOptimizer(
        GradSampleModule gradSample, optim.Optimizer optimizer, double noiseMultiplier, double maxGradNorm,
        double sampleRate, double expectedBatchSize, int maxPhysicalBatchSize = 128, int seed = 0,
        Action<double, double, int>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(gradSample);
        ArgumentNullException.ThrowIfNull(optimizer);
        NoiseMultiplier = DpArguments.NoiseMultiplier(noiseMultiplier);
        MaxGradNorm = DpArguments.MaxGradNorm(maxGradNorm);
        SampleRate = DpArguments.SampleRate(sampleRate);
        ExpectedBatchSize = DpArguments.ExpectedBatchSize(expectedBatchSize);
        MaxPhysicalBatchSize = DpArguments.MaxPhysicalBatchSize(maxPhysicalBatchSize);
        var held = optimizer.parameters().ToList();
        var missing = gradSample.ParameterNames
            .Where((_, i) => !held.Any(p => ReferenceEquals(p, gradSample.Parameters[i]) || p.Handle == gradSample.Parameters[i].Handle))
            .ToList();
        if (missing.Count > 0)
            throw new ArgumentException(
                $"The optimizer does not update {string.Join(", ", missing)}, so DP-SGD's gradient for them would be thrown away. " +
                "Create the optimizer from model.parameters() (after moving the model to its device).", nameof(optimizer));
        _gradSample = gradSample;
        Optimizer = optimizer;
        _onStep = onStep;
        _noiseSeed = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);
    }

    /// <summary>σ: the noise standard deviation is σ·C.</summary>
    public double NoiseMultiplier { get; }

    /// <summary>C: the per-example clipping norm.</summary>
    public double MaxGradNorm { get; }

    /// <summary>q: the probability that an example is in a batch (what an accountant needs with σ and the steps).</summary>
    public double SampleRate { get; }

    /// <summary>q·N: the noisy sum is divided by this.</summary>
    public double ExpectedBatchSize { get; }

    /// <summary>Largest chunk of a logical batch processed at once.</summary>
    public int MaxPhysicalBatchSize { get; }

    /// <summary>The wrapped optimizer (its learning rate can be scheduled as usual).</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>Steps taken so far (empty batches included: each is one use of the Gaussian mechanism).</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// One DP-SGD step on a logical batch: per-example gradients chunk by chunk, clipping, summing, noise, division by
    /// q·N, and the wrapped optimizer's step. The model should be in training mode (the caller's choice, as in ordinary
    /// training).
    /// </summary>
    /// <param name="inputs">The logical batch (N, …) on the model's device; N may be 0.</param>
    /// <param name="labels">Labels (N).</param>
    public DpStepResult Step(Tensor inputs, Tensor labels)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.dim() == 0 || labels.dim() != 1 || inputs.shape[0] != labels.shape[0])
            throw new ArgumentException(
                $"A batch needs inputs (N, …) and labels (N) with the same N; got {Guard.Shape(inputs)} and {Guard.Shape(labels)}.");
        int n = (int)inputs.shape[0];
        var parameters = _gradSample.Parameters;

        using var scope = NewDisposeScope();
        Tensor[] sums;
        using (no_grad()) sums = parameters.Select(p => zeros_like(p)).ToArray();
        double lossSum = 0;
        long correct = 0, clipped = 0;
        int chunks = 0;
        for (int start = 0; start < n; start += MaxPhysicalBatchSize, chunks++)
        {
            using var chunkScope = NewDisposeScope();
            int size = Math.Min(MaxPhysicalBatchSize, n - start);
            var x = inputs.narrow(0, start, size);
            var y = labels.narrow(0, start, size);
            var perExample = _gradSample.Compute(x, y);
            using (no_grad())
            {
                var norms = PerExampleClipping.Norms(perExample.Gradients);
                var factors = PerExampleClipping.Factors(norms, MaxGradNorm);
                for (int i = 0; i < sums.Length; i++)
                    sums[i].add_(PerExampleClipping.WeightedSum(perExample.Gradients[i], factors));
                lossSum += perExample.Losses.sum().item<float>();
                correct += perExample.Logits.argmax(1).eq(y).sum().item<long>();
                clipped += norms.gt(MaxGradNorm).sum().item<long>();
            }
        }

        using (no_grad())
            for (int i = 0; i < sums.Length; i++)
            {
                if (NoiseMultiplier > 0)
                {
                    var p = parameters[i];
                    var noise = randn(p.shape, p.dtype, p.device, generator: GeneratorFor(p.device));
                    sums[i].add_(noise, alpha: NoiseMultiplier * MaxGradNorm);
                }
                sums[i].div_(ExpectedBatchSize);
                parameters[i].grad = sums[i];
            }
        try
        {
            Optimizer.step();
        }
        finally
        {
            foreach (var p in parameters) p.grad = null;
        }
        Steps++;
        _onStep?.Invoke(NoiseMultiplier, SampleRate, 1);
        return new DpStepResult(n, chunks, lossSum, correct, clipped);
    }

    /// <summary>Frees the noise generator. Does not dispose the wrapped optimizer or the model.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _generator?.Dispose();
    }

    /// <summary>The noise generator, created on the parameters' device at the first noisy step.</summary>
    private Generator GeneratorFor(Device device)
    {
        if (_generator is null)
            _generator = new Generator(_noiseSeed, device);
        else if (_generator.device.type != device.type || _generator.device.index != device.index)
            throw new InvalidOperationException(
                $"The model moved from {_generator.device} to {device} after DP-SGD started; create the DP optimizer after moving the model.");
        return _generator;
    }
}
