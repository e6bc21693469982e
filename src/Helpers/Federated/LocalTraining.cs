using ModelSecurity.Training;

namespace ModelSecurity.Federated;

/// <summary>
/// How a client trains on its own data in one round (McMahan et al. 2017): <see cref="Epochs"/> passes (E) of plain
/// SGD with batch size <see cref="BatchSize"/> (B; null is B = ∞, the full local data set as one batch) and
/// learning rate <see cref="LearningRate"/>, optionally with FedProx's proximal term μ/2‖w − w_global‖²
/// (Li et al. 2020). FedSGD is the special case E = 1, B = ∞: one full-batch gradient step (<see cref="FedSgd"/>).
/// </summary>
/// <remarks>Every value is checked when it is set: a bad one throws <see cref="ArgumentOutOfRangeException"/>.</remarks>
public sealed record LocalTraining
{
    /// <summary>Local epochs E (≥ 1).</summary>
    public int Epochs
    {
        get;
        init => field = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Epochs), value, $"Local epochs E must be at least 1; got {value}.");
    } = 1;

    /// <summary>Local batch size B (≥ 1), or null for B = ∞ (the client's whole data set in one batch).</summary>
    public int? BatchSize
    {
        get;
        init => field = value is null or >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(BatchSize), value,
                $"The local batch size B must be at least 1, or null for B = ∞ (full batch); got {value}.");
    } = 32;

    /// <summary>Client learning rate η (finite, &gt; 0).</summary>
    public double LearningRate
    {
        get;
        init => field = Guard.Positive(value, nameof(LearningRate));
    } = 0.05;

    /// <summary>SGD momentum of the local optimizer, in [0, 1) (0: plain SGD as in FedAvg). It restarts every round.</summary>
    public double Momentum
    {
        get;
        init => field = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Momentum), value, $"Local SGD momentum must lie in [0, 1); got {value}.");
    }

    /// <summary>FedProx's μ ≥ 0: adds μ/2‖w − w_global‖² to the local loss (0: FedAvg).</summary>
    public double ProximalMu
    {
        get;
        init => field = double.IsFinite(value) && value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(ProximalMu), value,
                $"The FedProx coefficient μ must be a finite number ≥ 0 (0 turns the proximal term off; 0.01 to 1 are usual); got {value}.");
    }

    /// <summary>True for B = ∞.</summary>
    public bool IsFullBatch => BatchSize is null;

    /// <summary>FedSGD: one full-batch gradient step per round (E = 1, B = ∞).</summary>
    public static LocalTraining FedSgd(double learningRate) => new() { Epochs = 1, BatchSize = null, LearningRate = learningRate };

    /// <summary>
    /// The <see cref="TrainingRecipe"/> a client with <paramref name="sampleCount"/> examples runs with the course's
    /// <see cref="Trainer"/>: SGD, constant learning rate, no weight decay. Training a model centrally with this recipe
    /// does exactly what the client does (same seed, same batches, same steps).
    /// </summary>
    public TrainingRecipe ToRecipe(int sampleCount, int seed)
    {
        Guard.AtLeast(sampleCount, 1, nameof(sampleCount));
        return new TrainingRecipe
        {
            Name = "federated-client",
            Architecture = "any",
            Epochs = Epochs,
            BatchSize = BatchSize ?? sampleCount,
            Optimizer = "sgd",
            LearningRate = LearningRate,
            Momentum = Momentum,
            WeightDecay = 0,
            Schedule = "constant",
            Seed = seed,
        };
    }

    /// <summary>For example "E = 1, B = 32, η = 0.05" or "E = 1, B = ∞, η = 0.1 (FedSGD)".</summary>
    public override string ToString()
    {
        string text = $"E = {Epochs}, B = {(BatchSize is { } b ? b.ToString(System.Globalization.CultureInfo.InvariantCulture) : "∞")}, η = {LearningRate:G3}";
        if (Momentum > 0) text += $", momentum {Momentum:G3}";
        if (ProximalMu > 0) text += $", μ = {ProximalMu:G3} (FedProx)";
        else if (Epochs == 1 && IsFullBatch) text += " (FedSGD)";
        return text;
    }
}
