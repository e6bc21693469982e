using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace ModelSecurity.Runtime;

/// <summary>One probe's outcome in one repetition: the largest errors of the batched and the per-example gradients.</summary>
/// <param name="Probe">The case.</param>
/// <param name="Repetition">0 for the first call, 1, 2, … (the known fault is wrong on the first call only).</param>
/// <param name="BatchedError">max |batched − reference| / max |reference|, over input and weight gradients.</param>
/// <param name="PerExampleError">
/// The same for one call per example (batch of 1), input gradients stacked, weight gradients summed; measured on the
/// first repetition only (null on the others), which keeps the self-test fast: the batched path is the one at risk.
/// </param>
/// <param name="Tolerance">The largest error that passes.</param>
public sealed record ProbeResult(ConvolutionProbe Probe, int Repetition, double BatchedError, double? PerExampleError, double Tolerance)
{
    /// <summary>Both errors within <see cref="Tolerance"/> (NaN fails).</summary>
    public bool Passed => BatchedError <= Tolerance && (PerExampleError is null || PerExampleError <= Tolerance);

    /// <summary>E.g. "✔ dilated, issue 18 …: batched 2.1e-07, per-example 1.9e-07 (call 1)".</summary>
    public override string ToString()
    {
        var culture = CultureInfo.InvariantCulture;
        string perExample = PerExampleError is { } e ? string.Create(culture, $", per-example error {e:G3}") : "";
        return string.Create(culture, $"{Probe}, call {Repetition + 1}: batched error {BatchedError:G3}{perExample} (tolerance {Tolerance:G1})");
    }
}

/// <summary>What one run of the self-test found.</summary>
/// <param name="Results">Every probe × repetition.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
public sealed record SelfTestReport(IReadOnlyList<ProbeResult> Results, TimeSpan Elapsed)
{
    /// <summary>Every result passed.</summary>
    public bool Passed => Results.All(r => r.Passed);

    /// <summary>The failing results.</summary>
    public IEnumerable<ProbeResult> Failures => Results.Where(r => !r.Passed);

    /// <summary>One line: passed, or the first failures.</summary>
    public string Summary => Passed
        ? string.Create(CultureInfo.InvariantCulture, $"{Results.Count} checks passed in {Elapsed.TotalMilliseconds:F0} ms")
        : $"{Failures.Count()} of {Results.Count} checks failed, e.g. {string.Join("; ", Failures.Take(2))}";
}

/// <summary>
/// Checks that a convolution's gradients are right: for every probe, the gradients of one batched call and of one
/// call per example (first repetition) are compared with a float64 unfold reference (<see cref="ConvolutionGradients.UnfoldReference"/>),
/// each probe <see cref="Repetitions"/> times, because the fault it is meant to catch (libtorch 2.10 CPU, some
/// AVX-512 hosts, dilated Conv2d over a batch) was wrong on the first call and right afterwards. Inputs and weights
/// come from a private generator: the global random state is left alone.
/// </summary>
/// <param name="kernel">The gradient computation under test (default: <see cref="ConvolutionGradients.LibTorch"/>).</param>
/// <param name="probes">The cases (default: <see cref="ConvolutionProbes.All"/>).</param>
public sealed class ConvolutionSelfTest(ConvolutionGradientKernel? kernel = null, IReadOnlyList<ConvolutionProbe>? probes = null)
{
    /// <summary>Calls of each probe.</summary>
    public const int Repetitions = 3;

    /// <summary>Largest relative error that passes: float32 sums of a few hundred products stay near 1e-6; the fault was off by 100 %.</summary>
    public const double Tolerance = 1e-3;

    private readonly ConvolutionGradientKernel _kernel = kernel ?? ConvolutionGradients.LibTorch;

    /// <summary>The cases.</summary>
    public IReadOnlyList<ConvolutionProbe> Probes { get; } = probes ?? ConvolutionProbes.All;

    /// <summary>Runs every probe <see cref="Repetitions"/> times on the CPU.</summary>
    /// <param name="variant">
    /// 0 for the probes as they are; k &gt; 0 adds k examples to every batch. A re-check after switching paths uses a new
    /// variant, because a fault that is wrong only on a shape's first call (when libtorch builds and caches its kernel
    /// for that shape) would otherwise pass the re-check no matter what the switch did.
    /// </param>
    public SelfTestReport Run(int variant = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(variant);
        TorchRuntime.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        var results = new List<ProbeResult>();
        using var generator = new Generator(20261204);
        foreach (var probe in Probes.Select(p => variant == 0 ? p : p with { InputShape = [p.InputShape[0] + variant, .. p.InputShape[1..]] }))
        {
            using var scope = NewDisposeScope();
            var x = randn(probe.InputShape, generator: generator);
            var w = randn(probe.WeightShape, generator: generator).mul_(0.3);
            var b = randn(probe.OutChannels, generator: generator);
            var r = randn(probe.OutputShape, generator: generator);
            var reference = ConvolutionGradients.UnfoldReference(probe, x, w, b, r);
            for (int repetition = 0; repetition < Repetitions; repetition++)
            {
                var batched = _kernel(probe, x, w, b, r);
                double? perExample = repetition == 0 ? Error(PerExample(probe, x, w, b, r), reference) : null;
                results.Add(new ProbeResult(probe, repetition, Error(batched, reference), perExample, Tolerance));
            }
        }
        return new SelfTestReport(results, clock.Elapsed);
    }

    private ConvolutionGradient PerExample(ConvolutionProbe probe, Tensor x, Tensor w, Tensor b, Tensor r)
    {
        var inputs = new List<Tensor>();
        Tensor? weight = null;
        for (long i = 0; i < x.shape[0]; i++)
        {
            var g = _kernel(probe, x.narrow(0, i, 1), w, b, r.narrow(0, i, 1));
            inputs.Add(g.Input);
            weight = weight is null ? g.Weight : weight + g.Weight;
        }
        return new ConvolutionGradient(cat(inputs, 0), weight!);
    }

    private static double Error(ConvolutionGradient actual, ConvolutionGradient reference) =>
        Math.Max(Error(actual.Input, reference.Input), Error(actual.Weight, reference.Weight));

    private static double Error(Tensor actual, Tensor reference)
    {
        if (!actual.shape.SequenceEqual(reference.shape)) return double.PositiveInfinity;
        double scale = reference.abs().max().item<double>();
        double error = (actual.to(ScalarType.Float64) - reference).abs().max().item<double>();
        return double.IsNaN(error) ? double.NaN : error / Math.Max(scale, 1e-12);
    }
}
