using System.Diagnostics;
using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Runtime;

/// <summary>What the guard decided.</summary>
public enum GuardState
{
    /// <summary>The default convolution path passed the self-test.</summary>
    Passed,

    /// <summary>The default failed; an alternative path passed and is in use.</summary>
    Switched,

    /// <summary>Nothing passed: operations that rely on convolution gradients throw <see cref="NumericsFaultException"/>.</summary>
    Refused,
}

/// <summary>The guard's decision, with the self-test reports behind it.</summary>
/// <param name="State">Passed, switched or refused.</param>
/// <param name="Path">The convolution path in use (or, when refused, the last one tried).</param>
/// <param name="Default">The self-test of the default path.</param>
/// <param name="Attempts">Each alternative tried: its name, and its self-test report or why it could not be applied.</param>
/// <param name="Message">For <see cref="GuardState.Switched"/> and <see cref="GuardState.Refused"/>: what happened and what it costs or what to do.</param>
public sealed record GuardOutcome(GuardState State, string Path, SelfTestReport Default,
                                  IReadOnlyList<(string Name, SelfTestReport? Report, string? NotApplied)> Attempts, string? Message);

/// <summary>
/// Runs the <see cref="ConvolutionSelfTest"/> once per process before the library first relies on a convolution's
/// input or weight gradients (per-example gradients for DP-SGD, attacks' and explanations' input gradients, training).
/// When the default path fails, it switches to the first <see cref="ConvolutionRemedy"/> that passes and says so once,
/// with the measured cost; when none does, every later call throws <see cref="NumericsFaultException"/> rather than let
/// wrong gradients through. Passing is silent. Why: libtorch 2.10 CPU computed a dilated Conv2d's batched backward
/// wrongly on some AVX-512 hosts and not on others of the same kind (environment/README.md, "Guarded numerics").
/// </summary>
public sealed class NumericsGuard
{
    /// <summary>The name of libtorch's default path.</summary>
    public const string DefaultPath = "libtorch default (oneDNN for batched float32 convolutions)";

    /// <summary>The alternative the shared guard tries: libtorch's native convolution kernels.</summary>
    public static ConvolutionRemedy OneDnnOff { get; } = new(
        "libtorch native convolution (oneDNN off)",
        () => OneDnn.TrySetEnabled(false, out string? whyNot) ? null : whyNot,
        () => OneDnn.TrySetEnabled(true, out _),
        MeasureOneDnnOffCost);

    /// <summary>The process-wide guard: libtorch's kernels, <see cref="OneDnnOff"/> as the alternative, notices on standard error.</summary>
    public static NumericsGuard Shared { get; } = new(new ConvolutionSelfTest(), [OneDnnOff], message => Console.Error.WriteLine(message));

    private readonly ConvolutionSelfTest _selfTest;
    private readonly IReadOnlyList<ConvolutionRemedy> _remedies;
    private readonly Action<string> _notice;
    private readonly object _gate = new();
    private GuardOutcome? _outcome;

    /// <summary>A guard over a given self-test and alternatives (tests inject faulty kernels this way).</summary>
    /// <param name="selfTest">The check.</param>
    /// <param name="remedies">Alternatives, tried in order when the check fails.</param>
    /// <param name="notice">Receives the one message when the guard switches or refuses (default: standard error).</param>
    public NumericsGuard(ConvolutionSelfTest selfTest, IReadOnlyList<ConvolutionRemedy> remedies, Action<string>? notice = null)
    {
        ArgumentNullException.ThrowIfNull(selfTest);
        ArgumentNullException.ThrowIfNull(remedies);
        _selfTest = selfTest;
        _remedies = remedies;
        _notice = notice ?? (message => Console.Error.WriteLine(message));
    }

    /// <summary>The decision, once made (null before the first check).</summary>
    public GuardOutcome? Outcome { get { lock (_gate) return _outcome; } }

    /// <summary>
    /// The shared guard's check for a model: returns at once when the model has no Conv2d on the CPU (nothing to guard),
    /// otherwise as <see cref="EnsureConvolutionGradients()"/>.
    /// </summary>
    /// <exception cref="NumericsFaultException">The self-test failed and nothing corrected it.</exception>
    public static void EnsureConvolutionGradients(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Shared.Outcome is { State: not GuardState.Refused }) return; // decided and fine: attacks call this every step
        // A model without convolutions never makes the decision, so remember it instead of walking its modules every step.
        if (WithoutConvolutions.TryGetValue(model, out _)) return;
        var convolutions = model.modules().Prepend(model).OfType<Conv2d>().ToList();
        if (convolutions.Count == 0)
        {
            WithoutConvolutions.AddOrUpdate(model, model);
            return;
        }
        if (convolutions.Any(conv => conv.weight is { } w && w.device_type == TorchSharp.DeviceType.CPU))
            Shared.Ensure();
    }

    /// <summary>Models seen to have no Conv2d (their layers do not change; weak keys, so they are not kept alive).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<nn.Module, nn.Module> WithoutConvolutions = new();

    /// <summary>The shared guard's check: the self-test on first use, then the cached decision.</summary>
    /// <exception cref="NumericsFaultException">The self-test failed and nothing corrected it.</exception>
    public static void EnsureConvolutionGradients() => Shared.Ensure();

    /// <summary>Checks on first use (later calls are free); throws when the decision is <see cref="GuardState.Refused"/>.</summary>
    /// <exception cref="NumericsFaultException">The self-test failed and nothing corrected it.</exception>
    public void Ensure()
    {
        var outcome = Check();
        if (outcome.State == GuardState.Refused) throw new NumericsFaultException(outcome.Message!);
    }

    /// <summary>The decision, checking first when not made yet; never throws for a failed check (for <c>course doctor</c>).</summary>
    public GuardOutcome Check()
    {
        lock (_gate)
        {
            if (_outcome is not null) return _outcome;
            var first = _selfTest.Run();
            if (first.Passed) return _outcome = new GuardOutcome(GuardState.Passed, DefaultPath, first, [], null);

            var attempts = new List<(string, SelfTestReport?, string?)>();
            foreach (var remedy in _remedies)
            {
                string? notApplied = remedy.Apply();
                if (notApplied is not null)
                {
                    attempts.Add((remedy.Name, null, notApplied));
                    continue;
                }
                var report = _selfTest.Run(variant: attempts.Count + 1);
                attempts.Add((remedy.Name, report, null));
                if (report.Passed)
                {
                    string cost = remedy.MeasureCost is { } measure ? " Cost: " + measure() + "." : "";
                    string message = $"numerics: convolution gradients on this machine failed the self-test with {DefaultPath} " +
                                     $"({first.Summary}); switched to {remedy.Name}, which passes ({report.Summary}).{cost} " +
                                     "`course doctor` shows the details.";
                    _outcome = new GuardOutcome(GuardState.Switched, remedy.Name, first, attempts, message);
                    _notice(message);
                    return _outcome;
                }
                remedy.Undo();
            }

            string tried = attempts.Count == 0 ? "no alternative is available"
                : "alternatives tried: " + string.Join("; ", attempts.Select(a => a.Item3 is { } why ? $"{a.Item1} (not applied: {why})" : $"{a.Item1} ({a.Item2!.Summary})"));
            string refusal = "Convolution gradients computed by libtorch on this machine are wrong, so this operation stops instead of " +
                             $"returning wrong results. Self-test of {DefaultPath}: {first.Summary}; {tried}. What to do: run `course doctor` " +
                             "for details; start the process with ONEDNN_MAX_CPU_ISA=AVX2 (or ATEN_CPU_CAPABILITY=avx2) set in the environment, " +
                             "which must happen before libtorch loads; or use a CUDA GPU (COURSE_DEVICE=cuda). See environment/README.md, \"Guarded numerics\".";
            _outcome = new GuardOutcome(GuardState.Refused, attempts.Count > 0 ? attempts[^1].Item1 : DefaultPath, first, attempts, refusal);
            _notice(refusal);
            return _outcome;
        }
    }

    /// <summary>
    /// Times the zoo's convolutions (forward and backward of a batch of 32) with oneDNN on and off, side by side, and
    /// leaves oneDNN off. Both timings are taken here because the cost depends on the machine.
    /// </summary>
    private static string MeasureOneDnnOffCost()
    {
        var probes = ConvolutionProbes.Zoo.Select(p => p with { InputShape = [32, .. p.InputShape[1..]] }).ToList();
        double Time()
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(1);
            var inputs = probes.Select(p => (p, x: randn(p.InputShape, generator: generator), w: randn(p.WeightShape, generator: generator),
                                             b: zeros(p.OutChannels), r: randn(p.OutputShape, generator: generator))).ToList();
            foreach (var (p, x, w, b, r) in inputs) ConvolutionGradients.LibTorch(p, x, w, b, r); // warm-up
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++)
                foreach (var (p, x, w, b, r) in inputs) ConvolutionGradients.LibTorch(p, x, w, b, r);
            return clock.Elapsed.TotalMilliseconds / 3;
        }
        double off = Time();
        OneDnn.TrySetEnabled(true, out _);
        double on;
        try { on = Time(); }
        finally { OneDnn.TrySetEnabled(false, out _); }
        return string.Create(CultureInfo.InvariantCulture,
            $"the zoo's convolutions (forward and backward, batch 32) take {off:F0} ms without oneDNN vs {on:F0} ms with it ({off / Math.Max(on, 1e-9):F1}×)");
    }
}
