using System.Globalization;
using System.Text;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>Clean and robust accuracy of a model after one training epoch.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss of the epoch (of the training objective: adversarial or TRADES loss).</param>
/// <param name="TrainAccuracy">Accuracy on the training batches as they were trained on (adversarial ones for AT).</param>
/// <param name="CleanAccuracy">Accuracy on the validation images.</param>
/// <param name="RobustAccuracy">Accuracy on the validation images under the curve's PGD attack.</param>
/// <param name="Seconds">Training time of the epoch (without this measurement).</param>
public sealed record CurvePoint(int Epoch, double TrainLoss, double TrainAccuracy, double CleanAccuracy, double RobustAccuracy, double Seconds);

/// <summary>
/// Records the learning curves of adversarial training: after every epoch, clean and PGD accuracy on a fixed set of
/// validation images. This is how robust overfitting (Rice, Wong, Kolter 2020) becomes visible: training accuracy keeps
/// rising while robust validation accuracy peaks and falls.
/// </summary>
/// <remarks>
/// Use <see cref="Record"/> as (part of) the trainer's <c>StopAfterEpoch</c> check; it never stops training. The attack
/// uses the same seed every epoch so that epochs compare like with like. The curve owns a copy of the validation
/// images (native memory): dispose it when done. It only measures: it does not select an epoch, so measuring on test
/// images does not leak them into training.
/// </remarks>
public sealed class RobustnessCurve : IDisposable
{
    private readonly ImageDataset _validation;
    private readonly List<CurvePoint> _points = new();
    private bool _disposed;

    /// <summary>Creates a curve measured on (a copy of) <paramref name="validation"/>.</summary>
    /// <param name="validation">Images measured after every epoch (a few hundred keep the cost small).</param>
    /// <param name="epsilon">L∞ budget of the PGD attack.</param>
    /// <param name="steps">PGD iterations.</param>
    /// <param name="seed">Seed of PGD's random start.</param>
    /// <param name="log">Where to write one line per epoch (null: nowhere).</param>
    public RobustnessCurve(ImageDataset validation, double epsilon, int steps = 10, int seed = 0, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Count == 0) throw new ArgumentException("The validation set of the robustness curve is empty.", nameof(validation));
        Epsilon = Guard.Epsilon(epsilon);
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        Seed = seed;
        Log = log;
        _validation = validation.Take(validation.Count);
    }

    /// <summary>L∞ budget of the attack.</summary>
    public double Epsilon { get; }

    /// <summary>PGD iterations (step 2.5·ε/steps, random start).</summary>
    public int Steps { get; }

    /// <summary>Seed of the attack's random start.</summary>
    public int Seed { get; }

    /// <summary>Where each epoch's line goes, or null.</summary>
    public TextWriter? Log { get; }

    /// <summary>Number of validation images.</summary>
    public int Count => _validation.Count;

    /// <summary>One point per epoch recorded so far.</summary>
    public IReadOnlyList<CurvePoint> Points => _points;

    /// <summary>The name of the attack, e.g. "PGD-10 L∞ ε=0.1".</summary>
    public string AttackName => $"PGD-{Steps} L∞ ε={Epsilon.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Measures clean and PGD accuracy of <paramref name="model"/> and records them with the epoch's training numbers.
    /// Always returns false (never stops training), so it fits <see cref="Trainer.StopAfterEpoch"/>.
    /// </summary>
    public bool Record(nn.Module<Tensor, Tensor> model, EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var device = model.parameters().FirstOrDefault()?.device;
        var attack = new Pgd(model, Epsilon, steps: Steps, seed: Seed);
        var report = RobustnessEvaluator.Evaluate(model, _validation, attack, device, log: TextWriter.Null);
        var point = new CurvePoint(record.Epoch, record.TrainLoss, record.TrainAccuracy, report.CleanAccuracy, report.RobustAccuracy, record.Seconds);
        _points.Add(point);
        Log?.WriteLine($"  after epoch {point.Epoch}: clean {point.CleanAccuracy:P1}, {AttackName} {point.RobustAccuracy:P1} on {Count} validation images");
        return false;
    }

    /// <summary>
    /// Where the learning curves of the checkpoint at <paramref name="checkpointPath"/> are kept: beside it, with the
    /// extension <c>.curve.csv</c> (as <c>course train-robust</c> writes them).
    /// </summary>
    public static string FileFor(string checkpointPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        return Path.ChangeExtension(checkpointPath, ".curve.csv");
    }

    /// <summary>The points as CSV with a header (epoch, trainLoss, trainAccuracy, cleanAccuracy, robustAccuracy, seconds).</summary>
    public string ToCsv() => ToCsv(_points);

    /// <summary>Writes <paramref name="points"/> as CSV with a header, invariant culture.</summary>
    public static string ToCsv(IEnumerable<CurvePoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var text = new StringBuilder("epoch,trainLoss,trainAccuracy,cleanAccuracy,robustAccuracy,seconds\n");
        foreach (var p in points)
            text.Append(string.Join(',', p.Epoch.ToString(CultureInfo.InvariantCulture), F(p.TrainLoss), F(p.TrainAccuracy),
                                    F(p.CleanAccuracy), F(p.RobustAccuracy), F(p.Seconds))).Append('\n');
        return text.ToString();
        static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a curve written by <see cref="ToCsv()"/> (e.g. the file next to a shipped robust checkpoint).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not such a CSV; the message names the line.</exception>
    public static IReadOnlyList<CurvePoint> LoadCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No training curve at {path}. It is written by `course train-robust` next to the checkpoint.", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].StartsWith("epoch,", StringComparison.Ordinal))
            throw new InvalidDataException($"{path} is not a training-curve CSV: its first line must be the header 'epoch,trainLoss,…'.");
        var points = new List<CurvePoint>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var cells = lines[i].Split(',');
            if (cells.Length != 6 || !int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch)
                || !cells.Skip(1).All(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
                throw new InvalidDataException($"{path}, line {i + 1}: expected 6 numbers (epoch and five measurements), got '{lines[i]}'.");
            double N(int k) => double.Parse(cells[k], NumberStyles.Float, CultureInfo.InvariantCulture);
            points.Add(new CurvePoint(epoch, N(1), N(2), N(3), N(4), N(5)));
        }
        return points;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _validation.Dispose();
    }
}
