namespace ModelSecurity.Runtime;

/// <summary>
/// One case of the convolution self-test: a Conv2d's hyper-parameters and the input it is run on (N, C_in, H, W).
/// Padding is explicit zero padding (what the zoo's layers use).
/// </summary>
/// <param name="Name">What the case stands for, e.g. "kolter-madry-cnn conv2" or "dilated (issue 18)".</param>
/// <param name="InputShape">(N, C_in, H, W), N ≥ 2 so that libtorch takes its batched code path.</param>
/// <param name="OutChannels">C_out.</param>
/// <param name="Kernel">(kh, kw).</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Padding">(ph, pw), zeros.</param>
/// <param name="Dilation">(dh, dw).</param>
public sealed record ConvolutionProbe(string Name, long[] InputShape, long OutChannels, long[] Kernel, long[] Stride, long[] Padding, long[] Dilation)
{
    /// <summary>In-channels C_in.</summary>
    public long InChannels => InputShape[1];

    /// <summary>The weight's shape (C_out, C_in, kh, kw).</summary>
    public long[] WeightShape => [OutChannels, InChannels, Kernel[0], Kernel[1]];

    /// <summary>The output's shape (N, C_out, Ho, Wo).</summary>
    public long[] OutputShape => [InputShape[0], OutChannels, OutputSize(0), OutputSize(1)];

    /// <summary>Whether either dilation is above 1 (the case the known libtorch fault hits).</summary>
    public bool IsDilated => Dilation[0] > 1 || Dilation[1] > 1;

    /// <summary>A short description, e.g. "4→5 k(3,2) s(1,2) p(2,1) d(2,1) on (5,4,7,5)".</summary>
    public override string ToString() =>
        $"{Name}: {InChannels}→{OutChannels} k({Kernel[0]},{Kernel[1]}) s({Stride[0]},{Stride[1]}) p({Padding[0]},{Padding[1]}) " +
        $"d({Dilation[0]},{Dilation[1]}) on ({string.Join(",", InputShape)})";

    private long OutputSize(int d) =>
        (InputShape[2 + d] + 2 * Padding[d] - Dilation[d] * (Kernel[d] - 1) - 1) / Stride[d] + 1;
}
