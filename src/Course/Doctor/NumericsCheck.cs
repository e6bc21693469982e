using System.Globalization;
using ModelSecurity.Models;
using ModelSecurity.Privacy;
using ModelSecurity.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Cli.Doctor;

/// <summary>
/// The numerics self-test, verbosely: the guard's decision and every probe (batched vs per-example vs the float64
/// unfold reference), then, for each zoo architecture, the library's per-example gradients (one batched pass,
/// <see cref="GradSampleModule"/>) against one backward pass per example.
/// </summary>
internal static class NumericsCheck
{
    /// <summary>Largest relative error of a whole model's per-example gradients that passes (float32 against float64).</summary>
    public const double ModelTolerance = 1e-3;


    public static DoctorResult Run(DoctorSettings settings)
    {
        const string Name = "Numerics self-test";
        var outcome = settings.Guard.Check();
        var details = new List<string> { $"convolution path in use: {outcome.Path} (oneDNN {(OneDnn.Enabled ? "on" : "off")})" };
        details.Add($"default path: {outcome.Default.Summary}");
        foreach (var group in outcome.Default.Results.GroupBy(r => r.Probe))
            details.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {(group.All(r => r.Passed) ? "✔" : "✘")} {group.Key}: batched {string.Join(" ", group.Select(r => r.BatchedError.ToString("G2", CultureInfo.InvariantCulture)))}, " +
                $"per-example {string.Join(" ", group.Where(r => r.PerExampleError is not null).Select(r => r.PerExampleError!.Value.ToString("G2", CultureInfo.InvariantCulture)))} (calls 1–{group.Count()}, relative to float64)"));
        foreach (var (name, report, notApplied) in outcome.Attempts)
            details.Add(notApplied is not null ? $"alternative {name}: not applied ({notApplied})" : $"alternative {name}: {report!.Summary}");

        bool modelsPassed = true;
        if (outcome.State != GuardState.Refused)
            foreach (string architecture in ModelZoo.Architectures)
            {
                double error = ModelError(architecture);
                bool passed = error <= ModelTolerance;
                modelsPassed &= passed;
                details.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{(passed ? "✔" : "✘")} {architecture}: per-example gradients (one batched pass) vs one backward per example, relative error {error:G2}"));
            }

        const string Fix = "run the process with ONEDNN_MAX_CPU_ISA=AVX2 (or ATEN_CPU_CAPABILITY=avx2) set before it starts, e.g. " +
                           "`ONEDNN_MAX_CPU_ISA=AVX2 dotnet run --project src/Course -c Release -- doctor`, or use a CUDA GPU; " +
                           "environment/README.md, \"Guarded numerics\"";
        return outcome.State switch
        {
            GuardState.Refused => new(Name, DoctorStatus.Failed, "convolution gradients are wrong on this machine and no alternative path corrected them", Fix, details),
            _ when !modelsPassed => new(Name, DoctorStatus.Failed, "per-example gradients of a zoo model disagree with one backward per example", Fix, details),
            GuardState.Switched => new(Name, DoctorStatus.Warning, $"the default convolution path failed; the library uses {outcome.Path}, which passes", outcome.Message, details),
            _ => new(Name, DoctorStatus.Ok, $"convolution gradients right ({outcome.Default.Summary}); per-example gradients of {ModelZoo.Architectures.Count} zoo models match", null, details),
        };
    }

    /// <summary>
    /// max |batched − loop| / max |loop| over all parameters, on 3 random images: the library's per-example gradients
    /// (one batched pass) against one ordinary backward pass per example (batch of 1, which libtorch computes without
    /// oneDNN). The zoo's models accept float32 only; the float64 comparison is the probes' above.
    /// </summary>
    private static double ModelError(string architecture)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(18);
        var model = ModelZoo.Create(architecture);
        model.eval();
        using (no_grad()) // away from the initial values (SmallCnn starts its last layer at zero, which would zero every gradient)
            foreach (var p in model.parameters()) p.add_(randn(p.shape, generator: generator).mul_(0.05));
        var images = rand([3, 1, 28, 28], generator: generator);
        var labels = tensor(new long[] { 1, 4, 7 });

        using var gradSample = new GradSampleModule(model);
        var fast = gradSample.Compute(images, labels);
        var ordered = gradSample.Parameters.Select(p => (Tensor)p).ToList();
        var perExample = new List<IList<Tensor>>();
        for (long i = 0; i < images.shape[0]; i++)
        {
            var loss = nn.functional.cross_entropy(model.call(images.narrow(0, i, 1)), labels.narrow(0, i, 1));
            perExample.Add(autograd.grad(new[] { loss }, ordered));
        }
        double worst = 0;
        for (int k = 0; k < ordered.Count; k++)
        {
            var reference = stack(perExample.Select(g => g[k]));
            double scale = reference.abs().max().item<float>();
            double error = (fast.Gradients[k] - reference).abs().max().item<float>() / Math.Max(scale, 1e-12);
            worst = double.IsNaN(error) || double.IsNaN(worst) ? double.NaN : Math.Max(worst, error);
        }
        return worst;
    }
}
