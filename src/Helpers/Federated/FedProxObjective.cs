using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated;

/// <summary>
/// FedProx's local objective (Li et al. 2020): the inner loss plus μ/2 · ‖w − w_global‖², which keeps a client's model
/// near the global model it started from, so that clients with very different data drift apart less.
/// </summary>
/// <remarks>
/// The global weights are snapshotted when the objective is created (call it right after loading them into the model);
/// dispose the objective to free the snapshot.
/// </remarks>
public sealed class FedProxObjective : ITrainingObjective, IDisposable
{
    private readonly ITrainingObjective _inner;
    private readonly Tensor[] _global;

    /// <summary>Snapshots <paramref name="model"/>'s current parameters as w_global.</summary>
    /// <param name="mu">μ ≥ 0.</param>
    /// <param name="model">The model about to be trained, holding the global weights, on its compute device.</param>
    /// <param name="inner">The data loss (default: cross-entropy).</param>
    /// <exception cref="ArgumentOutOfRangeException">μ is negative or not finite.</exception>
    public FedProxObjective(double mu, nn.Module model, ITrainingObjective? inner = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!double.IsFinite(mu) || mu < 0)
            throw new ArgumentOutOfRangeException(nameof(mu), mu, $"The FedProx coefficient μ must be a finite number ≥ 0; got {mu}.");
        Mu = mu;
        _inner = inner ?? new CrossEntropyObjective();
        using var noGrad = no_grad();
        _global = model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>μ.</summary>
    public double Mu { get; }

    /// <inheritdoc />
    public string Name => $"{_inner.Name} + FedProx (μ = {Mu:G3})";

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var step = _inner.Compute(model, images, labels);
        if (Mu == 0) return step;
        var parameters = model.parameters().ToArray();
        if (parameters.Length != _global.Length)
            throw new ArgumentException($"FedProx snapshotted {_global.Length} parameter tensors but the model has {parameters.Length}.", nameof(model));
        Tensor proximal = zeros(1, device: step.Loss.device).squeeze();
        for (int i = 0; i < parameters.Length; i++)
            proximal = proximal + (parameters[i] - _global[i]).square().sum();
        return step with { Loss = step.Loss + proximal * (Mu / 2) };
    }

    /// <summary>Frees the snapshot of the global weights.</summary>
    public void Dispose()
    {
        foreach (var t in _global) t.Dispose();
    }
}
