namespace ModelSecurity.Training;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="TrainAccuracy">Accuracy on the training batches as they were trained on.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch, if one was given.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="Seconds">Wall-clock time of the epoch (training only).</param>
/// <param name="SamplesPerSecond">Training throughput.</param>
public sealed record EpochRecord(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationAccuracy,
    double LearningRate, double Seconds, double SamplesPerSecond);

/// <summary>The epochs of one training run, in order.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochRecord> _epochs = new();

    /// <summary>Creates an empty history for a run of <paramref name="recipe"/>.</summary>
    public TrainingHistory(TrainingRecipe recipe, string objective)
    {
        Recipe = recipe;
        Objective = objective;
    }

    /// <summary>The recipe that was run.</summary>
    public TrainingRecipe Recipe { get; }

    /// <summary>Name of the training objective.</summary>
    public string Objective { get; }

    /// <summary>One record per finished epoch.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>Total training time in seconds.</summary>
    public double TotalSeconds => _epochs.Sum(e => e.Seconds);

    /// <summary>True when training stopped before the recipe's last epoch.</summary>
    public bool StoppedEarly { get; internal set; }

    internal void Add(EpochRecord record) => _epochs.Add(record);

    /// <inheritdoc />
    public override string ToString()
    {
        if (_epochs.Count == 0) return $"{Recipe.Name}: no epoch finished";
        var last = _epochs[^1];
        string validation = last.ValidationAccuracy is { } v ? $", validation accuracy {v:P2}" : "";
        return $"{Recipe.Name} ({Objective}): {_epochs.Count} epoch(s) in {TotalSeconds:F1} s, " +
               $"train loss {last.TrainLoss:F4}, train accuracy {last.TrainAccuracy:P2}{validation}";
    }
}
