using ModelSecurity.Models;
using ModelSecurity.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Runtime;

/// <summary>
/// The convolution self-test and the guard, proved without the faulty host: a deliberately wrong gradient kernel is
/// injected behind the same seam (<see cref="ConvolutionGradientKernel"/>), wrong only on its first batched call as
/// the libtorch fault was.
/// </summary>
public class NumericsGuardTests
{
    /// <summary>
    /// libtorch's kernel, except that the first batched call of each probe and shape returns a wrong input gradient
    /// while <paramref name="faulty"/> says so (as a kernel that is built wrong and then cached per shape would).
    /// </summary>
    private sealed class FirstCallFault(Func<bool> faulty)
    {
        private readonly HashSet<string> _seen = new();

        public int Calls { get; private set; }

        public ConvolutionGradient Kernel(ConvolutionProbe probe, Tensor input, Tensor weight, Tensor bias, Tensor upstream)
        {
            Calls++;
            var right = ConvolutionGradients.LibTorch(probe, input, weight, bias, upstream);
            if (input.shape[0] == 1 || !faulty() || !_seen.Add($"{probe.Name} {string.Join(',', input.shape)}")) return right;
            // As observed on the faulty host: a plausible-looking input gradient, off by a factor on some elements.
            var wrong = right.Input.clone();
            wrong.narrow(0, 0, 1).mul_(2.36);
            return right with { Input = wrong };
        }
    }

    private static readonly IReadOnlyList<ConvolutionProbe> FewProbes = ConvolutionProbes.Dilated;

    [Fact]
    public void TheProbesCoverDilationAndEveryConvolutionOfTheZoo()
    {
        int zooConvolutions = ModelZoo.Architectures.Sum(a => { using var m = ModelZoo.Create(a); return m.modules().Count(x => x is Conv2d); });
        Assert.Equal(zooConvolutions, ConvolutionProbes.Zoo.Count);
        Assert.True(zooConvolutions >= 10, $"the zoo has {zooConvolutions} Conv2d layers");
        Assert.Contains(ConvolutionProbes.All, p => p.IsDilated && p.Stride[1] > 1 && p.Padding[0] > 0);
        Assert.Contains(ConvolutionProbes.Zoo, p => p.Name == "tanh-cnn features.conv1" && p.Kernel[0] == 8 && p.Stride[0] == 2 && p.Padding[0] == 3);
        Assert.All(ConvolutionProbes.All, p => Assert.True(p.InputShape[0] > 1, $"{p} must be batched"));
    }

    [Fact]
    public void BuildingTheProbesLeavesTheGlobalRandomStateAlone()
    {
        manual_seed(5);
        var expected = rand(3).clone();
        manual_seed(5);
        Assert.NotEmpty(ConvolutionProbes.FromZoo()); // not the cached list: build the models now
        Assert.True(rand(3).eq(expected).all().item<bool>());
    }

    [Fact]
    public void TheFloat64UnfoldReferenceAgreesWithLibTorchInFloat64()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        foreach (var probe in ConvolutionProbes.Dilated)
        {
            var x = randn(probe.InputShape, ScalarType.Float64);
            var w = randn(probe.WeightShape, ScalarType.Float64);
            var b = randn(probe.OutChannels, ScalarType.Float64);
            var r = randn(probe.OutputShape, ScalarType.Float64);
            var reference = ConvolutionGradients.UnfoldReference(probe, x, w, b, r);
            var torch = ConvolutionGradients.LibTorch(probe, x, w, b, r);
            Assert.True(reference.Input.allclose(torch.Input, 1e-9, 1e-9), $"{probe}: input gradients differ");
            Assert.True(reference.Weight.allclose(torch.Weight, 1e-9, 1e-9), $"{probe}: weight gradients differ");
        }
    }

    [Fact]
    public void LibTorchPassesTheSelfTestHereOrTheSharedGuardSwitchedToAPathThatDoes()
    {
        var outcome = NumericsGuard.Shared.Check();
        Assert.True(outcome.State != GuardState.Refused, outcome.Message);
        if (outcome.State == GuardState.Passed) Assert.True(outcome.Default.Passed);
        else Assert.True(outcome.Attempts[^1].Report!.Passed, outcome.Message);
        Assert.Equal(ConvolutionProbes.All.Count * ConvolutionSelfTest.Repetitions, outcome.Default.Results.Count);
    }

    [Fact]
    public void AWrongFirstBatchedCallIsCaughtAndLaterRightCallsDoNotHideIt()
    {
        var fault = new FirstCallFault(() => true);
        var report = new ConvolutionSelfTest(fault.Kernel, FewProbes).Run();
        Assert.False(report.Passed);
        var failures = report.Failures.ToList();
        Assert.Equal(FewProbes.Count, failures.Count); // each probe's first call, and only that one
        Assert.All(failures, f => Assert.Equal(0, f.Repetition));
        Assert.All(failures, f => Assert.True(f.BatchedError > 0.1 && f.PerExampleError is < ConvolutionSelfTest.Tolerance, f.ToString()));
        Assert.Contains("failed", report.Summary);
    }

    [Fact]
    public void AWrongWeightGradientOrNaNIsCaughtToo()
    {
        ConvolutionGradient WrongWeight(ConvolutionProbe p, Tensor x, Tensor w, Tensor b, Tensor r)
        {
            var right = ConvolutionGradients.LibTorch(p, x, w, b, r);
            return x.shape[0] == 1 ? right : right with { Weight = right.Weight * 1.01 };
        }
        ConvolutionGradient NaNs(ConvolutionProbe p, Tensor x, Tensor w, Tensor b, Tensor r)
        {
            var right = ConvolutionGradients.LibTorch(p, x, w, b, r);
            return right with { Input = right.Input.clone().index_fill_(0, tensor(0L), double.NaN) };
        }
        Assert.False(new ConvolutionSelfTest(WrongWeight, FewProbes).Run().Passed);
        var nan = new ConvolutionSelfTest(NaNs, FewProbes).Run();
        Assert.False(nan.Passed);
        Assert.All(nan.Results, r => Assert.False(r.Passed));
    }

    [Fact]
    public void TheGuardSwitchesToAPathThatPassesSaysSoOnceAndChecksOnlyOnce()
    {
        bool faulty = true;
        var fault = new FirstCallFault(() => faulty);
        var notices = new List<string>();
        var remedy = new ConvolutionRemedy("test path", () => { faulty = false; return null; }, () => faulty = true, () => "1.5× slower (measured)");
        var guard = new NumericsGuard(new ConvolutionSelfTest(fault.Kernel, FewProbes), [remedy], notices.Add);

        guard.Ensure();
        int calls = fault.Calls;
        guard.Ensure();
        Assert.Equal(calls, fault.Calls); // once per guard
        Assert.False(faulty);
        var outcome = guard.Outcome!;
        Assert.Equal(GuardState.Switched, outcome.State);
        Assert.Equal("test path", outcome.Path);
        Assert.False(outcome.Default.Passed);
        Assert.True(outcome.Attempts.Single().Report!.Passed);
        var notice = Assert.Single(notices);
        Assert.Contains("switched to test path", notice);
        Assert.Contains("1.5× slower", notice);
    }

    [Fact]
    public void TheGuardRefusesWithAClearErrorWhenNothingCorrectsTheFault()
    {
        var fault = new FirstCallFault(() => true);
        var notices = new List<string>();
        int undone = 0;
        var useless = new ConvolutionRemedy("useless path", () => null, () => undone++);
        var missing = new ConvolutionRemedy("missing path", () => "not in this libtorch", () => undone += 100);
        var guard = new NumericsGuard(new ConvolutionSelfTest(fault.Kernel, FewProbes), [missing, useless], notices.Add);

        var error = Assert.Throws<NumericsFaultException>(guard.Ensure);
        Assert.Equal(1, undone);
        Assert.Contains("are wrong", error.Message);
        Assert.Contains("missing path (not applied: not in this libtorch)", error.Message);
        Assert.Contains("useless path", error.Message);
        Assert.Contains("course doctor", error.Message);
        Assert.Contains("ONEDNN_MAX_CPU_ISA", error.Message);
        Assert.Throws<NumericsFaultException>(guard.Ensure); // every later use refuses too
        Assert.Single(notices);
        Assert.Equal(GuardState.Refused, guard.Outcome!.State);
    }

    [Fact]
    public void SwitchingOneDnnOffKeepsGradientsRightAndCanBeUndone()
    {
        bool wasEnabled = OneDnn.Enabled; // the shared guard may have switched it off on a faulty host: put back what was
        bool switched = OneDnn.TrySetEnabled(false, out string? whyNot);
        try
        {
            if (OperatingSystem.IsLinux())
                Assert.True(switched, whyNot); // libtorch_cpu.so exports the switch on Linux x64
            else if (!switched)
                Assert.False(string.IsNullOrEmpty(whyNot));
            Assert.True(new ConvolutionSelfTest(probes: FewProbes).Run().Passed);
        }
        finally
        {
            if (switched) Assert.True(OneDnn.TrySetEnabled(wasEnabled, out _));
        }
        Assert.Equal(wasEnabled, OneDnn.Enabled);
    }

    [Fact]
    public void PerExampleGradientsGoThroughTheSharedGuard()
    {
        using var scope = NewDisposeScope();
        using var gradSample = new ModelSecurity.Privacy.GradSampleModule(nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("flat", nn.Flatten()), ("fc", nn.Linear(2 * 4 * 4, 3))));
        gradSample.Compute(randn(2, 1, 6, 6), randint(0, 3, 2));
        Assert.NotNull(NumericsGuard.Shared.Outcome);
    }
}
