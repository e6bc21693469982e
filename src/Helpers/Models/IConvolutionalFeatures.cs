using static TorchSharp.torch;

namespace ModelSecurity.Models;

/// <summary>
/// A convolutional classifier split at its last convolutional block, so that explanation methods such as Grad-CAM can
/// read and differentiate that block's activations: forward(x) = <see cref="Classify"/>(<see cref="Features"/>(x)).
/// </summary>
public interface IConvolutionalFeatures
{
    /// <summary>The activations of the last convolutional block, (N, K, h, w), for images (N, C, H, W).</summary>
    Tensor Features(Tensor input);

    /// <summary>The logits computed from <see cref="Features"/>' output.</summary>
    Tensor Classify(Tensor features);
}
