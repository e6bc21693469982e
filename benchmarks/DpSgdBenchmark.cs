using System.Diagnostics;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Privacy;
using static ModelSecurity.Benchmarks.AdversarialTrainingBenchmark;
using static TorchSharp.torch;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// Cost of a DP-SGD step against an ordinary SGD step on the same batch of Fashion-MNIST images: per-example gradients
/// (one forward and one backward pass, plus the per-layer formulas), clipping, noise and the update, with the whole
/// batch as one physical chunk and with chunks of 64. Each variant is timed --repeat times, alternating, and the
/// fastest run of each is reported (load on the machine only ever slows a run down).
/// Options: --arch NAME (default small-cnn), --batch-size N (default 256), --steps S per run (default 5),
/// --repeat R (default 3), --threads T (TorchSharp's intra-op threads). Peak memory is the process's peak resident set
/// during each variant's runs (Linux: reset through /proc/self/clear_refs before every run).
/// </summary>
internal static class DpSgdBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        string architecture = Text(args, "--arch") ?? "small-cnn";
        int batchSize = Option(args, "--batch-size", 256);
        int steps = Option(args, "--steps", 5);
        int repeat = Option(args, "--repeat", 3);
        Runtime.TorchRuntime.EnsureLoaded();
        if (Text(args, "--threads") is not null) set_num_threads(Option(args, "--threads", 1));

        using var train = FashionMnist.Load(DataSplit.Train);
        using var data = train.Take(Math.Min(train.Count, batchSize));
        Console.WriteLine($"DP-SGD benchmark: {architecture}, batch {data.Count}, {steps} steps per run, CPU, {Environment.ProcessorCount} cores, " +
                          $"TorchSharp threads {get_num_threads()}, load average {LoadAverage()}");

        manual_seed(0);
        using var model = ModelZoo.Create(architecture);
        model.train();
        using var sgd = optim.SGD(model.parameters(), 0.01);
        using var gradSample = new GradSampleModule(model);
        var optimizers = new List<DpSgdOptimizer>();
        var variants = new List<(string Label, Action Step)>
        {
            ("ordinary SGD step", () =>
            {
                sgd.zero_grad();
                nn.functional.cross_entropy(model.forward(data.Images), data.Labels).backward();
                sgd.step();
            }),
        };
        foreach (int physical in new[] { data.Count, Math.Min(64, data.Count) }.Distinct())
        {
            var dp = new DpSgdOptimizer(gradSample, sgd, noiseMultiplier: 1.0, maxGradNorm: 1.0, sampleRate: 1, expectedBatchSize: data.Count,
                maxPhysicalBatchSize: physical);
            optimizers.Add(dp);
            variants.Add(($"DP-SGD step, physical batches of {physical}", () => dp.Step(data.Images, data.Labels)));
        }

        var times = variants.Select(_ => new List<double>()).ToArray();
        var peaks = new long[variants.Count];
        foreach (var (_, step) in variants) Run(step, 1); // warm-up
        for (int r = 0; r < repeat; r++)
            for (int v = 0; v < variants.Count; v++)
            {
                ProcessMemory.ResetPeak();
                times[v].Add(Run(variants[v].Step, steps));
                peaks[v] = Math.Max(peaks[v], ProcessMemory.PeakBytes());
            }
        double baseline = times[0].Min();
        for (int v = 0; v < variants.Count; v++)
            Console.WriteLine($"  {variants[v].Label,-40} {1000 * times[v].Min(),8:F0} ms per step   ratio {times[v].Min() / baseline,5:F2}   " +
                              $"peak RSS {ProcessMemory.Format(peaks[v])} ({peaks[v] / (double)Math.Max(1, peaks[0]):F2}×)   runs (ms): {Runs(times[v].Select(t => 1000 * t))}");
        if (!ProcessMemory.CanResetPeak)
            Console.WriteLine("  (peak RSS could not be reset between variants on this system: each value is the process's peak so far)");
        foreach (var dp in optimizers) dp.Dispose();
        return Task.FromResult(0);
    }

    /// <summary>Seconds per step, averaged over <paramref name="steps"/> steps, each in its own dispose scope.</summary>
    private static double Run(Action step, int steps)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            step();
        }
        return clock.Elapsed.TotalSeconds / steps;
    }
}
