namespace ModelSecurity.Training;

/// <summary>Progress of a running epoch, reported a few times per epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean loss so far in this epoch.</param>
/// <param name="Accuracy">Training accuracy so far in this epoch.</param>
/// <param name="SamplesPerSecond">Throughput so far in this epoch.</param>
/// <param name="LearningRate">Current learning rate.</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double SamplesPerSecond, double LearningRate);

/// <summary>Receives progress from the trainer (console, notebook, or nothing).</summary>
public interface ITrainingReporter
{
    /// <summary>Called a few times per epoch.</summary>
    void OnProgress(TrainingProgress progress);

    /// <summary>Called after every epoch.</summary>
    void OnEpoch(EpochRecord record, int epochs);

    /// <summary>Called once when training ends.</summary>
    void OnFinished(TrainingHistory history);
}

/// <summary>Writes progress lines to the console (and so to a notebook cell's output).</summary>
public sealed class ConsoleTrainingReporter(int reportsPerEpoch = 4, TextWriter? output = null) : ITrainingReporter
{
    private readonly TextWriter _out = output ?? Console.Out;

    /// <summary>How many progress lines to write per epoch (besides the epoch summary).</summary>
    public int ReportsPerEpoch { get; } = Math.Max(0, reportsPerEpoch);

    /// <inheritdoc />
    public void OnProgress(TrainingProgress p) =>
        _out.WriteLine($"  epoch {p.Epoch}/{p.Epochs}  batch {p.Batch,5}/{p.Batches}  loss {p.Loss:F4}  " +
                       $"acc {p.Accuracy:P1}  lr {p.LearningRate:G3}  {p.SamplesPerSecond:F0} samples/s");

    /// <inheritdoc />
    public void OnEpoch(EpochRecord r, int epochs)
    {
        string validation = r.ValidationAccuracy is { } v ? $"  validation acc {v:P2}" : "";
        _out.WriteLine($"epoch {r.Epoch}/{epochs}: loss {r.TrainLoss:F4}  train acc {r.TrainAccuracy:P2}{validation}  " +
                       $"({r.Seconds:F1} s, {r.SamplesPerSecond:F0} samples/s)");
    }

    /// <inheritdoc />
    public void OnFinished(TrainingHistory history) => _out.WriteLine(history.ToString());
}

/// <summary>Reports nothing (tests, benchmarks).</summary>
public sealed class SilentTrainingReporter : ITrainingReporter
{
    /// <summary>The shared instance.</summary>
    public static readonly SilentTrainingReporter Instance = new();

    /// <inheritdoc />
    public int ReportsPerEpoch => 0;

    /// <inheritdoc />
    public void OnProgress(TrainingProgress progress) { }

    /// <inheritdoc />
    public void OnEpoch(EpochRecord record, int epochs) { }

    /// <inheritdoc />
    public void OnFinished(TrainingHistory history) { }
}
