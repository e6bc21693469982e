using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ModelSecurity.Runtime;

/// <summary>The gradients of L = Σ conv(x; W, b) ⊙ R with respect to the input x and the weight W.</summary>
/// <param name="Input">∂L/∂x, shaped like x.</param>
/// <param name="Weight">∂L/∂W, shaped like W.</param>
public sealed record ConvolutionGradient(Tensor Input, Tensor Weight);

/// <summary>
/// Computes <see cref="ConvolutionGradient"/> for a probe: the seam through which the self-test reaches libtorch's
/// convolution backward, and through which a test injects a faulty one.
/// </summary>
/// <param name="probe">The layer's hyper-parameters.</param>
/// <param name="input">x (N, C_in, H, W), float32.</param>
/// <param name="weight">W (C_out, C_in, kh, kw).</param>
/// <param name="bias">b (C_out).</param>
/// <param name="upstream">R, the gradient arriving at the output (N, C_out, Ho, Wo).</param>
public delegate ConvolutionGradient ConvolutionGradientKernel(ConvolutionProbe probe, Tensor input, Tensor weight, Tensor bias, Tensor upstream);

/// <summary>The two ways the self-test computes convolution gradients: libtorch's autograd and a float64 unfold reference.</summary>
public static class ConvolutionGradients
{
    /// <summary>libtorch's own convolution and autograd (what every model in the course uses).</summary>
    public static ConvolutionGradient LibTorch(ConvolutionProbe probe, Tensor input, Tensor weight, Tensor bias, Tensor upstream)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var grad = enable_grad();
        var x = input.detach().requires_grad_(true);
        var w = weight.detach().requires_grad_(true);
        var output = F.conv2d(x, w, bias.detach(), probe.Stride, probe.Padding, probe.Dilation);
        var loss = output.mul(upstream).sum();
        var grads = autograd.grad(new[] { loss }, new[] { x, w });
        return new ConvolutionGradient(grads[0].detach(), grads[1].detach());
    }

    /// <summary>
    /// The reference: in float64, the convolution written as unfold (im2col) and a matrix product, so that no
    /// convolution kernel of libtorch (oneDNN or native) is involved. ∂L/∂W = R·colsᵀ is a plain product; ∂L/∂x is
    /// autograd through unfold (col2im). Results are float64.
    /// </summary>
    public static ConvolutionGradient UnfoldReference(ConvolutionProbe probe, Tensor input, Tensor weight, Tensor bias, Tensor upstream)
    {
        ArgumentNullException.ThrowIfNull(probe);
        using var grad = enable_grad();
        long n = input.shape[0];
        var x = input.detach().to(ScalarType.Float64).requires_grad_(true);
        var w = weight.detach().to(ScalarType.Float64).reshape(probe.OutChannels, -1);           // (C_out, C_in·kh·kw)
        var r = upstream.detach().to(ScalarType.Float64).reshape(n, probe.OutChannels, -1);      // (N, C_out, L)
        var cols = F.unfold(x, (probe.Kernel[0], probe.Kernel[1]), (probe.Dilation[0], probe.Dilation[1]),
                            (probe.Padding[0], probe.Padding[1]), (probe.Stride[0], probe.Stride[1])); // (N, C_in·kh·kw, L)
        if (cols.shape[2] != r.shape[2])
            throw new InvalidOperationException($"Self-test probe {probe}: unfold gives {cols.shape[2]} positions, the output {r.shape[2]}.");
        var weightGrad = einsum("nol,nkl->ok", r, cols.detach()).reshape(probe.WeightShape);
        // ∂L/∂cols = Wᵀ R; pushing it back through unfold gives ∂L/∂x.
        var colsGrad = einsum("ok,nol->nkl", w, r);
        var inputGrad = autograd.grad(new[] { cols.mul(colsGrad).sum() }, new[] { x })[0];
        return new ConvolutionGradient(inputGrad.detach(), weightGrad.detach());
    }
}
