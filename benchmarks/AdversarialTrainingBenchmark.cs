using System.Globalization;
using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// Cost of adversarial training: B batches of PGD-AT with k attack steps against (k + 1)·B batches of standard training
/// (k + 1 epochs over the same B batches), measured with the course's trainer in one process; the same for TRADES. An
/// attack step (forward and backward to the input) costs about what a training step (forward, backward, update) does,
/// so the ratios are expected near 1 (TRADES adds one clean forward pass and one more backward path per batch).
/// Each pair is measured --repeat times, alternating standard and adversarial runs, and the fastest run of each is
/// compared (other load on the machine only ever slows a run down); the median ratio is printed too.
/// Options: --batches B (default 20), --steps k (default 10), --batch-size N (default 128), --repeat R (default 3),
/// --threads T (TorchSharp's intra-op threads; default: its own choice), --arch NAME (default: the shipped recipes'
/// architectures, kolter-madry-cnn for PGD-AT and small-cnn for TRADES).
/// </summary>
internal static class AdversarialTrainingBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        int batches = Option(args, "--batches", 20);
        int steps = Option(args, "--steps", 10);
        int batchSize = Option(args, "--batch-size", 128);
        int repeat = Option(args, "--repeat", 3);
        string? architecture = Text(args, "--arch");
        const double eps = 0.1;
        Runtime.TorchRuntime.EnsureLoaded();
        if (Text(args, "--threads") is not null) set_num_threads(Option(args, "--threads", 1));

        using var train = FashionMnist.Load(DataSplit.Train);
        using var data = train.Take(Math.Min(train.Count, batches * batchSize));
        batches = (data.Count + batchSize - 1) / batchSize;
        Console.WriteLine($"Adversarial training benchmark: {batches} batches of {batchSize} Fashion-MNIST images, k = {steps}, ε = {eps}, " +
                          $"CPU, {Environment.ProcessorCount} cores, TorchSharp threads {get_num_threads()}, load average {LoadAverage()}");

        // Warm-up: first calls allocate and initialise libtorch's kernels.
        using (var warmUp = data.Take(Math.Min(data.Count, 2 * batchSize)))
            Time(architecture ?? "kolter-madry-cnn", warmUp, 1, batchSize, new CrossEntropyObjective());

        var methods = new (string Label, string Architecture, ITrainingObjective Objective)[]
        {
            ($"PGD-AT (PGD-{steps})", architecture ?? Recipes.PgdAt.Training.Architecture, new PgdAdversarialTraining(eps, steps)),
            ($"TRADES (KL-PGD-{steps}, β = 6)", architecture ?? Recipes.Trades.Training.Architecture, new TradesObjective(eps, 6, steps)),
        };
        foreach (var (label, arch, objective) in methods)
        {
            var standard = new List<double>();
            var adversarial = new List<double>();
            for (int r = 0; r < repeat; r++)
            {
                standard.Add(Time(arch, data, steps + 1, batchSize, new CrossEntropyObjective()));
                adversarial.Add(Time(arch, data, 1, batchSize, objective));
            }
            double bestStandard = standard.Min(), bestAdversarial = adversarial.Min();
            double medianRatio = adversarial.Zip(standard, (a, s) => a / s).Order().ElementAt(repeat / 2);
            Console.WriteLine($"  {label} on {arch} (fastest of {repeat} runs each):");
            Console.WriteLine($"    standard training, {steps + 1} epochs × {batches} batches   {bestStandard,8:F2} s   ({1000 * bestStandard / ((steps + 1) * batches),6:F1} ms per batch)   runs: {Runs(standard)}");
            Console.WriteLine($"    adversarial training, 1 epoch × {batches} batches   {bestAdversarial,8:F2} s   ({1000 * bestAdversarial / batches,6:F1} ms per batch)   runs: {Runs(adversarial)}");
            Console.WriteLine($"    ratio adversarial / ({steps + 1} × standard)            {bestAdversarial / bestStandard,8:F2}   (median of the paired runs' ratios {medianRatio:F2})");
        }
        return Task.FromResult(0);
    }

    /// <summary>Training seconds (the trainer's own clock, without evaluation) of <paramref name="epochs"/> epochs of a fresh model.</summary>
    private static double Time(string architecture, ImageDataset data, int epochs, int batchSize, ITrainingObjective objective)
    {
        var recipe = new TrainingRecipe { Name = "benchmark", Architecture = architecture, Epochs = epochs, BatchSize = batchSize, Seed = 0 };
        Reproducibility.Seed(recipe.Seed);
        using var model = ModelZoo.Create(architecture);
        return new Trainer(SilentTrainingReporter.Instance).Fit(model, data, recipe, CPU, objective: objective).TotalSeconds;
    }

    internal static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }

    internal static string Runs(IEnumerable<double> seconds) =>
        string.Join(", ", seconds.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)));

    internal static int Option(string[] args, string name, int fallback)
    {
        string? text = Text(args, name);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value : throw new ArgumentException($"{name} takes a positive whole number, not '{text}'");
    }

    internal static string? Text(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
