using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// Turns ordinary training into DP-SGD (Abadi et al., "Deep Learning with Differential Privacy", CCS 2016), in the
/// shape of Opacus's <c>PrivacyEngine</c>: <see cref="MakePrivate"/> takes a model, an optimizer and a data set and
/// returns a sampler and an optimizer (<see cref="PrivateTraining"/>) that a training loop uses instead of the usual
/// ones. The training loop stays the caller's (or <see cref="DpTrainer"/>'s); the privacy-critical parts — sampling,
/// per-example clipping, noise, and the record of what was done — live here, apart from it.
/// </summary>
/// <remarks>
/// <para>
/// Accounting: the engine records every step's (σ, q) in <see cref="History"/> and, when constructed with an
/// accountant hook, reports each step as it happens. The hook has the shape of an accountant's
/// <c>Step(double noiseMultiplier, double sampleRate, int steps)</c>, so <c>new PrivacyEngine(accountant.Step)</c>
/// plugs one in; ε then comes from the accountant (e.g. <c>accountant.GetEpsilon(delta)</c>). The history can also be
/// replayed into an accountant after training.
/// </para>
/// <para>
/// What the guarantee covers: the examples of the data set given to <see cref="MakePrivate"/>, under Poisson
/// sampling (see <see cref="BatchSampling"/> for fixed-size batches), with the model's hyper-parameters chosen
/// without looking at that data. Anything else computed on the data (e.g. the training accuracy the loop reports)
/// is not private.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var engine = new PrivacyEngine();
/// using var sgd = torch.optim.SGD(model.parameters(), 0.1);
/// using var training = engine.MakePrivate(model, sgd, train, noiseMultiplier: 1.1, maxGradNorm: 1.0, sampleRate: 256.0 / train.Count);
/// model.train();
/// foreach (var batch in training.Loader)
/// {
///     using var scope = torch.NewDisposeScope();
///     using (batch) training.Optimizer.Step(batch.Images, batch.Labels);
/// }
/// // engine.History: [(σ 1.1, q 0.0043, 234 steps)] — give it to an accountant for ε.
/// </code>
/// </example>
public sealed class PrivacyEngine
{
    private readonly Action<double, double, int>? _accountantStep;
    private readonly List<PrivacyStepRecord> _history = new();
    private readonly object _gate = new();

    /// <summary>Creates an engine, optionally reporting every step to an accountant.</summary>
    /// <param name="accountantStep">Called with (σ, q, 1) after every DP-SGD step, e.g. <c>accountant.Step</c>.</param>
    public PrivacyEngine(Action<double, double, int>? accountantStep = null)
    {
        _accountantStep = accountantStep;
    }

    /// <summary>Every step taken through this engine, consecutive steps with the same (σ, q) merged.</summary>
    public IReadOnlyList<PrivacyStepRecord> History
    {
        get { lock (_gate) return _history.ToArray(); }
    }

    /// <summary>Total DP-SGD steps taken through this engine.</summary>
    public int Steps
    {
        get { lock (_gate) return _history.Sum(h => h.Steps); }
    }

    /// <summary>
    /// Prepares DP-SGD: checks and hooks the model, chooses the sampler, and wraps the optimizer.
    /// </summary>
    /// <param name="model">The model, already on <paramref name="device"/>; refused with a clear message if it has layers DP-SGD cannot handle (e.g. BatchNorm).</param>
    /// <param name="optimizer">An ordinary optimizer over the model's parameters (SGD, Adam, …); the caller keeps it.</param>
    /// <param name="data">The private training data (N examples).</param>
    /// <param name="noiseMultiplier">σ ≥ 0; noise N(0, σ²C²) per coordinate of the summed clipped gradients.</param>
    /// <param name="maxGradNorm">C &gt; 0; every example's gradient (all parameters together) is clipped to this L2 norm.</param>
    /// <param name="sampleRate">q in (0, 1]: expected logical batch size / N.</param>
    /// <param name="sampling">Poisson sampling (default; what accountants assume) or fixed-size shuffled batches of round(q·N).</param>
    /// <param name="maxPhysicalBatchSize">Largest chunk of a logical batch processed at once (memory bound), ≥ 1.</param>
    /// <param name="seed">Seed of the sampling and of the noise.</param>
    /// <param name="device">Where batches go (default: the device of the model's first parameter).</param>
    /// <param name="loss">Per-example loss (default: cross-entropy).</param>
    /// <exception cref="ArgumentOutOfRangeException">σ &lt; 0, C ≤ 0, q outside (0, 1], a NaN, or maxPhysicalBatchSize &lt; 1.</exception>
    /// <exception cref="ArgumentException">The model cannot be trained with DP-SGD, or the data set is empty.</exception>
    public PrivateTraining MakePrivate(
        nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, ImageDataset data, double noiseMultiplier, double maxGradNorm,
        double sampleRate, BatchSampling sampling = BatchSampling.Poisson, int maxPhysicalBatchSize = 128, int seed = 0,
        Device? device = null, PerExampleLoss? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(data);
        DpArguments.NoiseMultiplier(noiseMultiplier);
        DpArguments.MaxGradNorm(maxGradNorm);
        DpArguments.SampleRate(sampleRate);
        DpArguments.MaxPhysicalBatchSize(maxPhysicalBatchSize);
        if (!Enum.IsDefined(sampling)) throw new ArgumentOutOfRangeException(nameof(sampling), sampling, "Use BatchSampling.Poisson or BatchSampling.Shuffle.");
        if (data.Count == 0) throw new ArgumentException($"Data set '{data.Name}' is empty; DP-SGD needs examples to train on.", nameof(data));
        device ??= model.parameters().FirstOrDefault()?.device ?? CPU;

        IEnumerable<Batch> loader;
        int batchesPerEpoch;
        double expectedBatchSize;
        if (sampling == BatchSampling.Poisson)
        {
            var poisson = new PoissonDataLoader(data, sampleRate, device, seed);
            (loader, batchesPerEpoch, expectedBatchSize) = (poisson, poisson.BatchCount, poisson.ExpectedBatchSize);
        }
        else
        {
            int batchSize = Math.Clamp((int)Math.Round(sampleRate * data.Count), 1, data.Count);
            var shuffled = new DataLoader(data, batchSize, device, shuffle: true, seed: seed, dropLast: true);
            (loader, batchesPerEpoch, expectedBatchSize) = (shuffled, shuffled.BatchCount, batchSize);
            sampleRate = (double)batchSize / data.Count; // what is actually used, for the accountant
        }

        var gradSample = new GradSampleModule(model, loss);
        try
        {
            var dpOptimizer = new DpSgdOptimizer(gradSample, optimizer, noiseMultiplier, maxGradNorm, sampleRate, expectedBatchSize,
                maxPhysicalBatchSize, seed, Record);
            return new PrivateTraining(gradSample, dpOptimizer, loader, batchesPerEpoch, sampling);
        }
        catch
        {
            gradSample.Dispose();
            throw;
        }
    }

    /// <summary>Adds steps to <see cref="History"/> and passes them on to the accountant hook.</summary>
    private void Record(double noiseMultiplier, double sampleRate, int steps)
    {
        lock (_gate)
        {
            if (_history.Count > 0 && _history[^1] is var last && last.NoiseMultiplier == noiseMultiplier && last.SampleRate == sampleRate)
                _history[^1] = last with { Steps = last.Steps + steps };
            else
                _history.Add(new PrivacyStepRecord(noiseMultiplier, sampleRate, steps));
        }
        _accountantStep?.Invoke(noiseMultiplier, sampleRate, steps);
    }
}
