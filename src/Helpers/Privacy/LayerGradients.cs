using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ModelSecurity.Privacy;

/// <summary>
/// Per-example gradient formulas of the layers DP-SGD supports. Each takes what one call of the layer saw, its input
/// a (N, …), and the gradient g = ∂L/∂output of the SUMMED loss L = Σᵢ Lᵢ with respect to its output. Because
/// example i's output depends on example i's input only, row i of g is ∂Lᵢ/∂outputᵢ, and each formula below is the
/// ordinary weight-gradient formula with the sum over the batch left out:
/// <list type="bullet">
/// <item>Linear: ∂Lᵢ/∂W = gᵢ aᵢᵀ (einsum "ni,nj→nij"; summed over extra positions for inputs (N, …, in)), ∂Lᵢ/∂b = gᵢ.</item>
/// <item>Conv2d: unfold (im2col) the padded aᵢ into patches (C_in·kh·kw, L positions), with the layer's kernel, stride
/// and dilation; ∂Lᵢ/∂W = gᵢ patchesᵢᵀ (einsum "nol,nkl→nok"), reshaped to the kernel;
/// ∂Lᵢ/∂b = gᵢ summed over positions.</item>
/// <item>GroupNorm / LayerNorm: with x̂ the normalised input, ∂Lᵢ/∂γ = Σ gᵢ ⊙ x̂ᵢ and ∂Lᵢ/∂β = Σ gᵢ over the
/// positions that share a parameter.</item>
/// </list>
/// Every result has shape (N, *parameter shape) and is computed without building a graph.
/// </summary>
internal static class LayerGradients
{
    /// <summary>Whether the layer's parameters have a formula here (other checks, e.g. groups, are in <see cref="PrivacyCompatibility"/>).</summary>
    public static bool HasFormula(nn.Module layer) => layer is Linear or Conv2d or GroupNorm or LayerNorm;

    /// <summary>Per-example gradients of the layer's weight and bias (null for a parameter the layer does not have).</summary>
    public static (Tensor? Weight, Tensor? Bias) Compute(nn.Module layer, Tensor input, Tensor outputGrad)
    {
        using var noGrad = no_grad();
        return layer switch
        {
            Linear => ForLinear(input, outputGrad),
            Conv2d conv => ForConv2d(conv, input, outputGrad),
            GroupNorm norm => ForGroupNorm(norm, input, outputGrad),
            LayerNorm norm => ForLayerNorm(norm, input, outputGrad),
            _ => throw new NotSupportedException($"No per-example gradient formula for {layer.GetType().Name}."),
        };
    }

    private static (Tensor, Tensor) ForLinear(Tensor input, Tensor outputGrad)
    {
        long n = input.shape[0];
        var a = input.reshape(n, -1, input.shape[^1]);          // (N, positions, in)
        var g = outputGrad.reshape(n, -1, outputGrad.shape[^1]); // (N, positions, out)
        return (einsum("npo,npi->noi", g, a), g.sum(1));
    }

    private static (Tensor, Tensor) ForConv2d(Conv2d conv, Tensor input, Tensor outputGrad)
    {
        long n = input.shape[0];
        long[] kernel = conv.kernel_size, stride = conv.stride, dilation = conv.dilation;
        var patches = Patches(Pad(conv, input), kernel, stride, dilation);   // (N, C_in·kh·kw, L)
        var g = outputGrad.reshape(n, outputGrad.shape[1], -1);             // (N, C_out, L)
        if (g.shape[2] != patches.shape[2])
            throw new InvalidOperationException(
                $"Conv2d: the unfolded input has {patches.shape[2]} positions but the output {g.shape[2]}; " +
                "the layer's kernel, stride, padding or dilation is not one this engine understands.");
        var weight = einsum("nol,nkl->nok", g, patches).reshape(n, conv.out_channels, conv.in_channels, kernel[0], kernel[1]);
        return (weight, g.sum(2));
    }

    /// <summary>The input padded as the layer pads it: explicit padding in its padding mode, or PyTorch's "same".</summary>
    private static Tensor Pad(Conv2d conv, Tensor input)
    {
        long top, bottom, left, right;
        if (conv.padding_type == TorchSharp.Padding.Same)
        {
            // "same": total padding dilation·(k − 1) per dimension, the odd pixel (if any) at the end, as PyTorch does.
            long th = conv.dilation[0] * (conv.kernel_size[0] - 1), tw = conv.dilation[1] * (conv.kernel_size[1] - 1);
            (top, bottom, left, right) = (th / 2, th - th / 2, tw / 2, tw - tw / 2);
        }
        else if (conv.padding_type != TorchSharp.Padding.Valid && conv.padding is { Length: 2 } p)
            (top, bottom, left, right) = (p[0], p[0], p[1], p[1]);
        else
            return input;
        if (top == 0 && bottom == 0 && left == 0 && right == 0) return input;
        var mode = conv.padding_mode == PaddingModes.Zeros ? PaddingModes.Constant : conv.padding_mode;
        return F.pad(input, new[] { left, right, top, bottom }, mode);
    }

    /// <summary>
    /// im2col: every receptive field of a (padded) input (N, C, H, W) as a column, (N, C·kh·kw, L) with L output
    /// positions, in the order of <c>nn.functional.unfold</c> (and of the flattened kernel). Built from strided windows
    /// (<c>Tensor.unfold</c>, a view) and one copy, which is several times faster on the CPU than libtorch's unfold.
    /// </summary>
    internal static Tensor Patches(Tensor x, long[] kernel, long[] stride, long[] dilation)
    {
        long n = x.shape[0], c = x.shape[1];
        long spanH = dilation[0] * (kernel[0] - 1) + 1, spanW = dilation[1] * (kernel[1] - 1) + 1;
        var windows = x.unfold(2, spanH, stride[0]).unfold(3, spanW, stride[1]); // (N, C, Ho, Wo, spanH, spanW)
        if (dilation[0] > 1) windows = windows.slice(4, 0, spanH, dilation[0]);
        if (dilation[1] > 1) windows = windows.slice(5, 0, spanW, dilation[1]);    // (N, C, Ho, Wo, kh, kw)
        long positions = windows.shape[2] * windows.shape[3];
        return windows.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], positions);
    }

    private static (Tensor, Tensor) ForGroupNorm(GroupNorm norm, Tensor input, Tensor outputGrad)
    {
        var normalized = F.group_norm(input, norm.num_groups, eps: norm.eps);
        long[] positions = Enumerable.Range(2, (int)input.dim() - 2).Select(d => (long)d).ToArray(); // (N, C, *positions)
        return (SumOver(outputGrad * normalized, positions), SumOver(outputGrad, positions));
    }

    private static (Tensor, Tensor) ForLayerNorm(LayerNorm norm, Tensor input, Tensor outputGrad)
    {
        var normalized = F.layer_norm(input, norm.normalized_shape, eps: norm.eps);
        int shared = (int)input.dim() - 1 - norm.normalized_shape.Length; // dims between N and the normalised ones
        long[] positions = Enumerable.Range(1, shared).Select(d => (long)d).ToArray();
        return (SumOver(outputGrad * normalized, positions), SumOver(outputGrad, positions));
    }

    private static Tensor SumOver(Tensor t, long[] dims) => dims.Length == 0 ? t : t.sum(dims);
}
