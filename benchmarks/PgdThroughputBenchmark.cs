using System.Diagnostics;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Runtime;
using static TorchSharp.torch;

namespace ModelSecurity.Benchmarks;

/// <summary>
/// PGD-k against k bare forward+backward passes of the same model on the same batch, measured side by side
/// (interleaved rounds, medians), so the attack's own overhead — projection, clamping, bookkeeping — shows as a ratio.
/// </summary>
public static class PgdThroughputBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 20;
        int batchSize = args.Length > 1 ? int.Parse(args[1]) : 256;
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 5;
        var device = TorchRuntime.PickDevice();
        var model = ShippedModels.LoadBaseline(device);
        using var test = FashionMnist.Load(DataSplit.Test);
        var images = test.Images.narrow(0, 0, batchSize).to(device);
        var labels = test.Labels.narrow(0, 0, batchSize).to(device);
        var attack = new Pgd(model, 0.1, steps: steps, seed: 0);

        Console.WriteLine($"PGD-{steps} vs {steps} forward+backward passes; batch {batchSize}; {rounds} rounds; {device}; kolter-madry-cnn");
        Time(() => attack.Run(images, labels).Dispose());   // warm-up
        Time(() => BarePasses(model, images, labels, steps));
        var attackTimes = new List<double>();
        var passTimes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            attackTimes.Add(Time(() => attack.Run(images, labels).Dispose()));
            passTimes.Add(Time(() => BarePasses(model, images, labels, steps)));
        }
        double attackSeconds = Median(attackTimes), passSeconds = Median(passTimes);
        Console.WriteLine($"PGD-{steps}:                  {attackSeconds * 1000,8:F0} ms per batch  ({batchSize / attackSeconds,7:F1} images/s)");
        Console.WriteLine($"{steps} forward+backward:      {passSeconds * 1000,8:F0} ms per batch  ({batchSize / passSeconds,7:F1} images/s)");
        Console.WriteLine($"ratio attack / passes: {attackSeconds / passSeconds:F3}  (overhead {(attackSeconds / passSeconds - 1) * 100:F1} %; target < 20 %)");
        return Task.FromResult(0);
    }

    /// <summary>The work PGD cannot avoid: per step, one forward pass and the input gradient of the loss.</summary>
    private static void BarePasses(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, int steps)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var x = images.detach().requires_grad_(true);
            var loss = nn.functional.cross_entropy(model.forward(x), labels, reduction: nn.Reduction.Sum);
            autograd.grad(new[] { loss }, new[] { x })[0].sum().item<float>();
        }
        foreach (var p in model.parameters()) p.requires_grad = true;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
