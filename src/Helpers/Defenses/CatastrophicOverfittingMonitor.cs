using System.Globalization;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>One check of a <see cref="CatastrophicOverfittingMonitor"/>.</summary>
/// <param name="Epoch">The epoch after which it ran.</param>
/// <param name="PgdAccuracy">Accuracy on the held-out batch under PGD.</param>
public sealed record RobustnessCheck(int Epoch, double PgdAccuracy);

/// <summary>
/// Early stopping on a PGD check, against catastrophic overfitting (Wong, Rice, Kolter 2020): after every epoch it
/// measures PGD accuracy on a small held-out batch, remembers the weights of the best epoch, and stops training when
/// that accuracy collapses — falls more than <see cref="MaxDrop"/> below its best, or below
/// <see cref="CollapseBelow"/> after having been above it. On a collapse it puts the best weights back (unless told not to).
/// </summary>
/// <remarks>
/// Use <see cref="Check"/> as the trainer's check: <c>new Trainer { StopAfterEpoch = monitor.Check }</c>. Wong et al.
/// check PGD-5 on the first training batch; any small batch works, e.g. a few hundred training images. The monitor
/// owns copies of the batch and of the best weights (native memory): dispose it when done.
/// </remarks>
public sealed class CatastrophicOverfittingMonitor : IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly List<RobustnessCheck> _checks = new();
    private WeightSnapshot? _bestWeights;
    private bool _disposed;

    /// <summary>Creates a monitor that checks on (a copy of) <paramref name="heldOut"/>.</summary>
    /// <param name="heldOut">The check batch: small (a few hundred images), attacked in one piece every epoch.</param>
    /// <param name="epsilon">L∞ budget of the PGD check (the training ε).</param>
    /// <param name="steps">PGD iterations.</param>
    /// <param name="stepSize">PGD step size; default 2.5·ε/steps.</param>
    /// <param name="maxDrop">Collapse when accuracy falls more than this (a fraction: 0.2 = 20 points) below its best.</param>
    /// <param name="collapseBelow">Also collapse when accuracy falls below this after having reached it (null: off).</param>
    /// <param name="seed">Seed of PGD's random start, the same every epoch so that checks compare like with like.</param>
    /// <param name="log">Where to write one line per check (null: nowhere).</param>
    public CatastrophicOverfittingMonitor(ImageDataset heldOut, double epsilon, int steps = 10, double? stepSize = null,
                                          double maxDrop = 0.2, double? collapseBelow = null, int seed = 0, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        if (heldOut.Count == 0) throw new ArgumentException("The held-out batch of the PGD check is empty.", nameof(heldOut));
        Epsilon = Guard.Epsilon(epsilon);
        Steps = Guard.AtLeast(steps, 1, nameof(steps));
        StepSize = stepSize is { } alpha ? Guard.NonNegative(alpha, nameof(stepSize)) : 2.5 * epsilon / steps;
        if (!(maxDrop > 0 && maxDrop <= 1))
            throw new ArgumentOutOfRangeException(nameof(maxDrop), maxDrop, "maxDrop is a fraction of accuracy in (0, 1], e.g. 0.2 for 20 points.");
        if (collapseBelow is { } floor && !(floor > 0 && floor <= 1))
            throw new ArgumentOutOfRangeException(nameof(collapseBelow), floor, "collapseBelow is an accuracy in (0, 1], e.g. 0.3, or null for none.");
        MaxDrop = maxDrop;
        CollapseBelow = collapseBelow;
        Seed = seed;
        Log = log;
        _images = heldOut.Images.detach().clone().DetachFromDisposeScope();
        _labels = heldOut.Labels.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>L∞ budget of the check.</summary>
    public double Epsilon { get; }

    /// <summary>PGD iterations of the check.</summary>
    public int Steps { get; }

    /// <summary>PGD step size of the check.</summary>
    public double StepSize { get; }

    /// <summary>Largest tolerated fall below the best accuracy (fraction).</summary>
    public double MaxDrop { get; }

    /// <summary>Accuracy floor (once reached), or null.</summary>
    public double? CollapseBelow { get; }

    /// <summary>Seed of the check's random start.</summary>
    public int Seed { get; }

    /// <summary>Where each check is reported, or null.</summary>
    public TextWriter? Log { get; }

    /// <summary>Whether to put the best weights back as soon as a collapse is detected (default true).</summary>
    public bool RestoreBestOnCollapse { get; init; } = true;

    /// <summary>Every check so far, in order.</summary>
    public IReadOnlyList<RobustnessCheck> Checks => _checks;

    /// <summary>The epoch with the highest PGD accuracy (the latest of equals), or null before the first check.</summary>
    public int? BestEpoch { get; private set; }

    /// <summary>The highest PGD accuracy seen (NaN before the first check).</summary>
    public double BestAccuracy { get; private set; } = double.NaN;

    /// <summary>The epoch at which robustness collapsed, or null.</summary>
    public int? CollapseEpoch { get; private set; }

    /// <summary>True once a collapse was detected.</summary>
    public bool Collapsed => CollapseEpoch is not null;

    /// <summary>Why training was stopped, or null.</summary>
    public string? Reason { get; private set; }

    /// <summary>
    /// Measures PGD accuracy of <paramref name="model"/> on the held-out batch, records it, and returns true (stop) on a
    /// collapse — after putting the best weights back when <see cref="RestoreBestOnCollapse"/>. Matches the trainer's
    /// <c>StopAfterEpoch</c>. Once collapsed, later calls return true without measuring.
    /// </summary>
    public bool Check(nn.Module<Tensor, Tensor> model, EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Collapsed) return true;

        double accuracy = PgdAccuracy(model);
        _checks.Add(new RobustnessCheck(record.Epoch, accuracy));
        if (BestEpoch is null || accuracy >= BestAccuracy)
        {
            BestEpoch = record.Epoch;
            BestAccuracy = accuracy;
            SaveBest(model);
            Write($"PGD check after epoch {record.Epoch}: {accuracy:P1} (best so far)");
            return false;
        }

        if (BestAccuracy - accuracy > MaxDrop)
            Reason = $"PGD accuracy fell from {BestAccuracy:P1} (epoch {BestEpoch}) to {accuracy:P1} (epoch {record.Epoch}), " +
                     $"more than {MaxDrop * 100:0.#} points";
        else if (CollapseBelow is { } floor && accuracy < floor && BestAccuracy >= floor)
            Reason = $"PGD accuracy fell below {floor:P1} (to {accuracy:P1} at epoch {record.Epoch}; best {BestAccuracy:P1} at epoch {BestEpoch})";
        if (Reason is null)
        {
            Write($"PGD check after epoch {record.Epoch}: {accuracy:P1} (best {BestAccuracy:P1} at epoch {BestEpoch})");
            return false;
        }

        CollapseEpoch = record.Epoch;
        Reason = "catastrophic overfitting: " + Reason;
        if (RestoreBestOnCollapse)
        {
            RestoreBest(model);
            Reason += $"; weights of epoch {BestEpoch} restored";
        }
        Write($"PGD check after epoch {record.Epoch}: {accuracy:P1} — {Reason}. Stopping.");
        return true;
    }

    /// <summary>Copies the weights of <see cref="BestEpoch"/> into <paramref name="model"/>.</summary>
    /// <exception cref="InvalidOperationException">No check has run yet.</exception>
    public void RestoreBest(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_bestWeights is null) throw new InvalidOperationException("No PGD check has run yet, so there are no best weights to restore.");
        _bestWeights.CopyInto(model);
    }

    /// <summary>The facts worth keeping in a checkpoint's metadata (keys start with "earlyStopping").</summary>
    public IReadOnlyDictionary<string, string> Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var facts = new Dictionary<string, string>
        {
            ["earlyStopping"] = $"PGD-{Steps} ε={Epsilon.ToString(c)} on {_labels.shape[0]} held-out images, max drop {MaxDrop.ToString(c)}",
            ["earlyStoppingChecks"] = string.Join(",", _checks.Select(k => k.PgdAccuracy.ToString("F4", c))),
            ["earlyStoppingCollapsed"] = Collapsed ? "true" : "false",
        };
        if (BestEpoch is { } best) facts["earlyStoppingBestEpoch"] = best.ToString(c);
        if (Reason is not null) facts["earlyStoppingReason"] = Reason;
        return facts;
    }

    /// <summary>Frees the batch and the saved weights.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _images.Dispose();
        _labels.Dispose();
        DisposeBest();
    }

    private double PgdAccuracy(nn.Module<Tensor, Tensor> model)
    {
        using var scope = NewDisposeScope();
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        var images = _images.to(device);
        var labels = _labels.to(device);
        var adversarial = new Pgd(model, Epsilon, StepSize, Steps, Norm.LInf, randomStart: true, seed: Seed).Run(images, labels);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            return model.forward(adversarial).argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private void SaveBest(nn.Module<Tensor, Tensor> model)
    {
        DisposeBest();
        _bestWeights = WeightSnapshot.Of(model);
    }

    private void DisposeBest()
    {
        _bestWeights?.Dispose();
        _bestWeights = null;
    }

    private void Write(string line) => Log?.WriteLine("  " + line);
}
