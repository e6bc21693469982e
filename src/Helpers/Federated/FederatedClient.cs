using ModelSecurity.Data;
using ModelSecurity.Federated.Poisoning;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Federated;

/// <summary>
/// One simulated participant of federated learning: its private data and its local update — load the global
/// weights, train <see cref="LocalTraining.Epochs"/> epochs with the course's <see cref="Trainer"/>, upload
/// Δ = w_local − w_global. A client with an <see cref="Attack"/> is malicious.
/// </summary>
/// <remarks>
/// Clients share one model object (the simulation's), which they overwrite with the global weights before training:
/// the memory of a simulation does not grow with the number of clients. The client owns its data set.
/// </remarks>
public sealed class FederatedClient : IDisposable
{
    /// <summary>Creates a client that owns <paramref name="data"/>.</summary>
    /// <param name="id">Client id (its index in the simulation).</param>
    /// <param name="data">The client's private examples (at least one); disposed with the client.</param>
    /// <param name="attack">Makes the client malicious; null for an honest client.</param>
    /// <exception cref="ArgumentException">The data set is empty.</exception>
    public FederatedClient(int id, ImageDataset data, ClientAttack? attack = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
            throw new ArgumentException($"Client {id} has no examples; every client needs at least one (check the partition).", nameof(data));
        Id = id;
        Data = data;
        Attack = attack;
    }

    /// <summary>Client id.</summary>
    public int Id { get; }

    /// <summary>The client's private examples.</summary>
    public ImageDataset Data { get; }

    /// <summary>Number of local examples n_k (the client's FedAvg weight).</summary>
    public int SampleCount => Data.Count;

    /// <summary>The client's attack, or null for an honest client. May be changed between rounds.</summary>
    public ClientAttack? Attack { get; set; }

    /// <summary>True when the client has an <see cref="Attack"/>.</summary>
    public bool IsMalicious => Attack is not null;

    /// <summary>
    /// One round of local training: loads <paramref name="globalWeights"/> into <paramref name="model"/>, trains it on
    /// the client's data and returns the update. The model keeps the client's trained weights afterwards.
    /// </summary>
    /// <param name="model">The simulation's model (moved to <paramref name="device"/>).</param>
    /// <param name="globalWeights">The global model received from the server.</param>
    /// <param name="local">Epochs, batch size, learning rate, FedProx μ.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="seed">Seed of this client's shuffling in this round (see <see cref="FederatedServer.ClientSeed"/>).</param>
    public ClientUpdate Train(nn.Module<Tensor, Tensor> model, float[] globalWeights, LocalTraining local, Device device, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(globalWeights);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(device);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Runtime.Interruption.ThrowIfRequested();

        model.to(device);
        ModelWeights.Set(model, globalWeights);
        using var proximal = local.ProximalMu > 0 ? new FedProxObjective(local.ProximalMu, model) : null;
        ITrainingObjective objective = proximal is null ? new CrossEntropyObjective() : proximal;
        if (Attack is not null) objective = new PoisonedObjective(Attack, objective);

        var history = new Trainer(SilentTrainingReporter.Instance).Fit(model, Data, local.ToRecipe(Data.Count, seed), device, objective: objective);
        float[] delta = VectorMath.Subtract(ModelWeights.Get(model), globalWeights);
        Attack?.PoisonUpdate(delta);
        return new ClientUpdate(Id, delta, Data.Count, history.Epochs.Count > 0 ? history.Epochs[^1].TrainLoss : double.NaN);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"client {Id}: {Data.Count} examples" + (Attack is null ? "" : $", malicious ({Attack.Name})");

    /// <summary>Frees the client's data.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Data.Dispose();
    }

    private bool _disposed;
}
