using ModelSecurity.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void TorchSharpLoadsAndComputesAKnownGradient()
    {
        TorchRuntime.EnsureLoaded();
        // f(x) = sum(x^3 + 2x), so df/dx = 3x^2 + 2.
        using var x = tensor(new float[] { -1f, 0f, 2f }, requires_grad: true);
        using var f = (x.pow(3) + 2 * x).sum();
        f.backward();
        float[] gradient = x.grad!.data<float>().ToArray();
        Assert.Equal(new[] { 5f, 2f, 14f }, gradient);
    }

    [Fact]
    public void TensorsCreatedInsideADisposeScopeAreFreed()
    {
        TorchRuntime.EnsureLoaded();
        // Tensors that earlier tests dropped without disposing are freed by finalizers at unpredictable
        // moments; collect them first so the count below changes only through this test.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = Tensor.TotalCount;
        Tensor kept;
        using (var scope = NewDisposeScope())
        {
            var a = randn(100, 100);
            var b = a.matmul(a) + 1;
            kept = scope.MoveToOuter(b.sum());
            Assert.True(Tensor.TotalCount >= before + 3);
        }
        Assert.Equal(before + 1, Tensor.TotalCount);
        kept.Dispose();
        Assert.Equal(before, Tensor.TotalCount);
    }

    [Fact]
    public void DeviceOverrideIsHonouredAndBadValuesAreExplained()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.PickDevice("cpu").type);
        Assert.Equal(DeviceType.CPU, TorchRuntime.PickDevice(" CPU ").type);
        var wrong = Assert.Throws<ArgumentException>(() => TorchRuntime.PickDevice("tpu"));
        Assert.Contains("cpu, cuda or cuda:N", wrong.Message);
        if (!cuda.is_available())
        {
            var noGpu = Assert.Throws<InvalidOperationException>(() => TorchRuntime.PickDevice("cuda"));
            Assert.Contains("sees none", noGpu.Message);
            Assert.Equal(DeviceType.CPU, TorchRuntime.PickDevice((string?)null).type);
        }
    }
}
