using System.Diagnostics;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Runtime;
using static TorchSharp.torch;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// Early exit measured side by side on the same model, points and seeds (issues 21 and 22):
/// (1) AutoAttack standard on the shipped PGD-AT model with early exit vs every attack on every point to the end;
/// (2) the robustness protocol (FGSM, PGD-20×5, APGD-CE-100) on the shipped baseline with vs without early exit;
/// (3) Square (5 000 queries, AutoAttack's schedule): queries per broken point on both shipped models.
/// Each pair also checks that both runs give the same per-point outcome. Usage:
/// <c>early-exit [ensembleImages=10] [protocolImages=100] [squareImages=20]</c>.
/// </summary>
public static class EarlyExitBenchmark
{
    private const double Epsilon = 0.1;

    public static Task<int> RunAsync(string[] args)
    {
        int ensembleImages = args.Length > 0 ? int.Parse(args[0]) : 10;
        int protocolImages = args.Length > 1 ? int.Parse(args[1]) : 100;
        int squareImages = args.Length > 2 ? int.Parse(args[2]) : 20;
        var device = TorchRuntime.PickDevice();
        var baseline = ShippedModels.LoadBaseline(device);
        var robust = ShippedModels.Load(ShippedModels.PgdAtFile, device);
        using var test = FashionMnist.Load(DataSplit.Test);
        Console.WriteLine($"Early exit vs full evaluation, L∞ ε = {Epsilon}, {device}, OMP threads {Environment.GetEnvironmentVariable("OMP_NUM_THREADS") ?? "default"}");

        // (1) AutoAttack standard on both shipped models (0 images: skipped). Early exit saves the work on broken points, so
        // it helps most where most points break (the baseline) and least on a robust model, whose robust points every
        // attack must try in full either way.
        if (ensembleImages > 0)
        {
            using var data = test.Take(ensembleImages);
            foreach (var (name, model) in new[] { ("baseline", baseline), ("PGD-AT", robust) })
            {
                var early = Timed(() => new AutoAttack(model, Epsilon).Evaluate(data, device, earlyExit: true));
                var full = Timed(() => new AutoAttack(model, Epsilon, stopWhenFooled: false).Evaluate(data, device, earlyExit: false));
                Report($"AutoAttack standard, {name}, {data.Count} images", early, full);
            }
        }

        // (2) The robustness protocol on the baseline (issue 21 asks for ≥ 3×).
        if (protocolImages > 0)
        {
            using var data = test.Take(protocolImages);
            var early = Timed(() => new RobustnessProtocol(Epsilon) { EarlyExit = true }.Evaluate(baseline, data, device).WorstCase);
            var full = Timed(() => new RobustnessProtocol(Epsilon) { EarlyExit = false }.Evaluate(baseline, data, device).WorstCase);
            Report($"robustness protocol (FGSM, PGD-20×5, APGD-CE-100), baseline, {data.Count} images", early, full);
        }

        // (3) Square's queries per broken point, on the first images each model classifies correctly.
        if (squareImages > 0)
        {
            foreach (var (name, model) in new[] { ("baseline", baseline), ("PGD-AT", robust) })
            {
                using var scope = NewDisposeScope();
                var images = test.Images.narrow(0, 0, Math.Min(test.Count, 4 * squareImages)).to(device);
                var labels = test.Labels.narrow(0, 0, images.shape[0]).to(device);
                Tensor correct;
                using (no_grad()) correct = nonzero(model.forward(images).argmax(1).eq(labels)).squeeze(1).narrow(0, 0, squareImages);
                var square = new SquareAttack(model, Epsilon, maxQueries: 5000, initialFraction: 0.8, seed: 0) { RescaleSchedule = false };
                var clock = Stopwatch.StartNew();
                square.Run(images.index_select(0, correct), labels.index_select(0, correct));
                var stats = square.LastRun!;
                Console.WriteLine($"Square-5000 on {name}, {squareImages} correctly classified images: {stats.SucceededPerExample.Count(s => s)} broken; " +
                                  $"queries per broken point: mean {stats.MeanQueriesOfSuccesses:F1}, median {stats.MedianQueriesOfSuccesses:F0}; " +
                                  $"{stats.TotalQueries} queries in all, {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        return Task.FromResult(0);
    }

    private static (WorstCaseReport Report, double Seconds) Timed(Func<WorstCaseReport> run)
    {
        var clock = Stopwatch.StartNew();
        var report = run();
        return (report, clock.Elapsed.TotalSeconds);
    }

    private static void Report(string what, (WorstCaseReport Report, double Seconds) early, (WorstCaseReport Report, double Seconds) full)
    {
        bool same = early.Report.BrokenBy.SequenceEqual(full.Report.BrokenBy);
        Console.WriteLine($"{what}:");
        Console.WriteLine($"  early exit: robust {early.Report.RobustAccuracy:P2}, {early.Seconds,8:F1} s; stages {string.Join(", ", early.Report.Stages.Select(s => $"{s.Broken}/{s.Attacked} in {s.Seconds:F1} s"))}");
        Console.WriteLine($"  full:       robust {full.Report.RobustAccuracy:P2}, {full.Seconds,8:F1} s; stages {string.Join(", ", full.Report.Stages.Select(s => $"{s.Broken}/{s.Attacked} in {s.Seconds:F1} s"))}");
        Console.WriteLine($"  speed-up full / early exit: {full.Seconds / early.Seconds:F2}×; same per-point outcome: {(same ? "yes" : "NO")}");
    }
}
