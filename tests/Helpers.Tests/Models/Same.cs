using static TorchSharp.torch;

namespace ModelSecurity.Tests.Models;

/// <summary>Exact tensor comparison (TorchSharp's <c>Tensor.equal</c> is element-wise, unlike PyTorch's <c>torch.equal</c>).</summary>
internal static class Same
{
    public static bool Values(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();
}
