using ModelSecurity.Privacy;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

/// <summary>Per-example gradients the slow, obvious way, one backward pass per example, to check the fast ones against.</summary>
internal static class PerExampleReference
{
    /// <summary>For every parameter (in <paramref name="parameters"/> order) a tensor (N, *shape) of ∂Lᵢ/∂p.</summary>
    public static Tensor[] Loop(nn.Module<Tensor, Tensor> model, IReadOnlyList<Parameter> parameters, Tensor inputs, Tensor labels,
                                PerExampleLoss? loss = null)
    {
        loss ??= PerExampleLosses.CrossEntropy;
        long n = inputs.shape[0];
        var rows = parameters.Select(_ => new List<Tensor>()).ToArray();
        for (long i = 0; i < n; i++)
        {
            foreach (var p in parameters) p.grad = null;
            var li = loss(model.forward(inputs.narrow(0, i, 1)), labels.narrow(0, i, 1)).sum();
            li.backward();
            for (int k = 0; k < parameters.Count; k++)
                rows[k].Add(parameters[k].grad is { } g ? g.clone() : zeros_like(parameters[k]));
        }
        foreach (var p in parameters) p.grad = null;
        return rows.Select(r => stack(r)).ToArray();
    }

    /// <summary>Asserts |fast − slow| ≤ atol + rtol·|slow| element-wise, naming the worst parameter otherwise.</summary>
    public static void AssertClose(IReadOnlyList<string> names, IReadOnlyList<Tensor> fast, IReadOnlyList<Tensor> slow, double atol = 1e-5, double rtol = 1e-4)
    {
        Assert.Equal(slow.Count, fast.Count);
        for (int k = 0; k < slow.Count; k++)
        {
            Assert.Equal(slow[k].shape, fast[k].shape);
            double excess = (fast[k] - slow[k]).abs().sub(slow[k].abs().mul(rtol)).max().item<float>();
            double scale = slow[k].abs().max().item<float>();
            Assert.True(excess <= atol, $"{names[k]}: per-example gradients differ by {excess + 0:G3} beyond tolerance (largest |gradient| {scale:G3})");
            Assert.True(scale > 0, $"{names[k]}: the reference gradient is all zeros, so the comparison proves nothing");
        }
    }
}
