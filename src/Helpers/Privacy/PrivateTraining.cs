using ModelSecurity.Data;

namespace ModelSecurity.Privacy;

/// <summary>
/// What <see cref="PrivacyEngine.MakePrivate"/> returns: the batches to train on and the optimizer that makes each
/// step private. A training loop enumerates <see cref="Loader"/> (one enumeration = one epoch) and calls
/// <see cref="DpSgdOptimizer.Step"/> on every batch, inside a dispose scope:
/// <code>
/// foreach (var batch in training.Loader)
/// {
///     using var scope = torch.NewDisposeScope();
///     using (batch) training.Optimizer.Step(batch.Images, batch.Labels);
/// }
/// </code>
/// Disposing it removes the hooks from the model and frees the noise generator; the model and the wrapped optimizer
/// stay the caller's.
/// </summary>
public sealed class PrivateTraining : IDisposable
{
    internal PrivateTraining(GradSampleModule gradSample, DpSgdOptimizer optimizer, IEnumerable<Batch> loader, int batchesPerEpoch,
                             BatchSampling sampling)
    {
        GradSample = gradSample;
        Optimizer = optimizer;
        Loader = loader;
        BatchesPerEpoch = batchesPerEpoch;
        Sampling = sampling;
    }

    /// <summary>The hooked model.</summary>
    public GradSampleModule GradSample { get; }

    /// <summary>The DP-SGD optimizer; its <see cref="DpSgdOptimizer.Steps"/>, σ and q are what an accountant needs.</summary>
    public DpSgdOptimizer Optimizer { get; }

    /// <summary>Logical batches: a <see cref="PoissonDataLoader"/> or a shuffling <see cref="DataLoader"/> (fixed size, last batch dropped).</summary>
    public IEnumerable<Batch> Loader { get; }

    /// <summary>Batches per enumeration of <see cref="Loader"/>.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>How the batches are sampled.</summary>
    public BatchSampling Sampling { get; }

    /// <summary>Removes the hooks and frees the noise generator.</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        GradSample.Dispose();
    }
}
