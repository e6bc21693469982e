using System.Globalization;
using ModelSecurity.Privacy.Accounting;
using ModelSecurity.Training;

namespace ModelSecurity.Privacy;

/// <summary>
/// A recipe for a differentially private model: the ordinary <see cref="TrainingRecipe"/> (architecture, data,
/// optimizer, schedule, epochs, seed; its batch size is the EXPECTED logical batch size B of Poisson sampling) plus
/// the privacy part — the target (ε, δ), the clipping norm C and the accountant that calibrates σ. The shipped DP
/// checkpoints are made from <see cref="Recipes.Private"/>.
/// </summary>
public sealed record PrivateTrainingRecipe
{
    /// <summary>The accountants <see cref="Accountant"/> may name.</summary>
    public static IReadOnlyList<string> Accountants { get; } = Array.AsReadOnly(new[] { "rdp", "pld" });

    /// <summary>Architecture, data, optimizer, schedule, epochs, expected batch size and seed.</summary>
    public required TrainingRecipe Training { get; init; }

    /// <summary>The ε the whole training run must not exceed.</summary>
    public required double TargetEpsilon { get; init; }

    /// <summary>δ of the guarantee; below 1/N (1e-5 for the 60 000 Fashion-MNIST training images).</summary>
    public double Delta { get; init; } = 1e-5;

    /// <summary>C: every example's gradient is clipped to this L2 norm.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>
    /// Largest chunk of a logical batch processed at once (memory, not the result). 64: on two CPU cores chunks of 64
    /// were faster than one chunk of 256 (the dp-sgd benchmark: 1.84× against 2.32× an ordinary step for the tanh CNN).
    /// </summary>
    public int MaxPhysicalBatchSize { get; init; } = 64;

    /// <summary>"rdp" (Rényi DP with the conversion of Balle et al. 2020) or "pld" (privacy loss distributions, tighter).</summary>
    public string Accountant { get; init; } = "rdp";

    /// <summary>File name of the shipped checkpoint this recipe makes (in <c>data/checkpoints/</c>), if any.</summary>
    public string? CheckpointFile { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field that makes no sense.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Training);
        Training.Validate();
        string name = Training.Name;
        if (!(TargetEpsilon > 0) || double.IsInfinity(TargetEpsilon))
            throw new ArgumentException($"Private recipe '{name}': TargetEpsilon must be a positive number, not {TargetEpsilon}.");
        if (!(Delta > 0 && Delta < 1)) throw new ArgumentException($"Private recipe '{name}': Delta must be in (0, 1), not {Delta}.");
        if (!(MaxGradNorm > 0) || double.IsInfinity(MaxGradNorm))
            throw new ArgumentException($"Private recipe '{name}': MaxGradNorm must be a positive number, not {MaxGradNorm}.");
        if (MaxPhysicalBatchSize < 1)
            throw new ArgumentException($"Private recipe '{name}': MaxPhysicalBatchSize must be at least 1, not {MaxPhysicalBatchSize}.");
        if (!Accountants.Contains(Accountant))
            throw new ArgumentException($"Private recipe '{name}': Accountant must be one of {string.Join(", ", Accountants)}, not \"{Accountant}\".");
    }

    /// <summary>A fresh accountant of the kind <see cref="Accountant"/> names.</summary>
    public IPrivacyAccountant CreateAccountant() => Accountant == "pld" ? new PldAccountant() : new RdpAccountant();

    /// <summary>q = B / N for a training set of <paramref name="trainingExamples"/> examples.</summary>
    /// <exception cref="ArgumentOutOfRangeException">B exceeds N (q would be above 1).</exception>
    public double SampleRate(int trainingExamples)
    {
        if (Training.BatchSize > trainingExamples)
            throw new ArgumentOutOfRangeException(nameof(trainingExamples), trainingExamples,
                $"Private recipe '{Training.Name}': the expected batch size {Training.BatchSize} exceeds the {trainingExamples} training examples.");
        return (double)Training.BatchSize / trainingExamples;
    }

    /// <summary>DP-SGD steps of the whole run: epochs × round(1/q), as the Poisson loader takes them.</summary>
    public int Steps(int trainingExamples) =>
        checked(Training.Epochs * Math.Max(1, (int)Math.Round(1 / SampleRate(trainingExamples))));

    /// <summary>
    /// The smallest noise multiplier σ whose ε, after <see cref="Steps"/> steps at q = B/N, stays within
    /// <see cref="TargetEpsilon"/> at <see cref="Delta"/> according to <see cref="Accountant"/>.
    /// </summary>
    public double CalibrateNoise(int trainingExamples)
    {
        Validate();
        return NoiseCalibration.NoiseMultiplierFor(TargetEpsilon, Delta, SampleRate(trainingExamples), Steps(trainingExamples), CreateAccountant);
    }

    /// <summary>DP-SGD's options for noise multiplier σ (Poisson sampling, the recipe's C and physical batch size).</summary>
    public DpSgdOptions Options(double noiseMultiplier) => new()
    {
        NoiseMultiplier = noiseMultiplier,
        MaxGradNorm = MaxGradNorm,
        MaxPhysicalBatchSize = MaxPhysicalBatchSize,
    };

    /// <summary>For progress lines, e.g. "dp-tanh-cnn-eps3: tanh-cnn, target ε = 3 at δ = 1e-05, C = 1, B = 512, 20 epochs".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Training.Name}: {Training.Architecture}, target ε = {TargetEpsilon:G4} at δ = {Delta:G3} ({Accountant}), C = {MaxGradNorm:G4}, " +
        $"B = {Training.BatchSize}, {Training.Optimizer} lr {Training.LearningRate:G4}, {Training.Epochs} epochs");
}
