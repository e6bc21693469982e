namespace ModelSecurity.Federated;

/// <summary>
/// What a client uploads after local training: its model update Δ = w_local − w_global as a flat vector, and the
/// number of examples it trained on (the weight FedAvg gives it). The server never sees the client's data.
/// </summary>
public sealed class ClientUpdate
{
    /// <summary>Wraps an update.</summary>
    /// <param name="clientId">The client that sent it.</param>
    /// <param name="delta">Δ = w_local − w_global (not copied: do not modify it afterwards).</param>
    /// <param name="sampleCount">Examples the client trained on (≥ 1).</param>
    /// <param name="trainLoss">The client's mean training loss in its last local epoch (NaN when unknown).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampleCount"/> is less than 1.</exception>
    public ClientUpdate(int clientId, float[] delta, int sampleCount, double trainLoss = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (sampleCount < 1)
            throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount,
                $"Client {clientId}: the sample count (the update's weight in FedAvg) must be at least 1; got {sampleCount}.");
        ClientId = clientId;
        Delta = delta;
        SampleCount = sampleCount;
        TrainLoss = trainLoss;
    }

    /// <summary>The client that sent the update.</summary>
    public int ClientId { get; }

    /// <summary>Δ = w_local − w_global, one value per parameter.</summary>
    public float[] Delta { get; }

    /// <summary>Examples the client trained on.</summary>
    public int SampleCount { get; }

    /// <summary>Mean training loss of the client's last local epoch (NaN when unknown).</summary>
    public double TrainLoss { get; }

    /// <summary>Size of the upload: 4 bytes per parameter.</summary>
    public long Bytes => ModelWeights.ByteSize(Delta.Length);

    /// <summary>The update that turns <paramref name="globalWeights"/> into <paramref name="localWeights"/>.</summary>
    public static ClientUpdate FromWeights(int clientId, float[] globalWeights, float[] localWeights, int sampleCount)
    {
        ArgumentNullException.ThrowIfNull(globalWeights);
        ArgumentNullException.ThrowIfNull(localWeights);
        return new ClientUpdate(clientId, VectorMath.Subtract(localWeights, globalWeights), sampleCount);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"client {ClientId}: {Delta.Length} parameters, {SampleCount} examples, ‖Δ‖ = {VectorMath.Norm(Delta):G4}";
}
