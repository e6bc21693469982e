using ModelSecurity.Models;
using static TorchSharp.torch;

namespace ModelSecurity.Explanations;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017): weight each channel k of the last convolutional block's activations A by the
/// spatial mean of ∂z_c/∂A_k, sum, keep the positive part: L_c = ReLU(Σ_k α_k A_k), α_k = mean_{ij} ∂z_c/∂A_k,ij;
/// then upsample it bilinearly to the image size and scale each map to [0, 1]. A coarse map (7×7 for the Kolter–Madry
/// CNN) of where the evidence for class c is. The model must expose its feature block (<see cref="IConvolutionalFeatures"/>).
/// </summary>
public static class GradCam
{
    /// <summary>Heat maps (N, 1, H, W) in [0, 1] (all zeros where no channel speaks for the class).</summary>
    /// <param name="model">A classifier that implements <see cref="IConvolutionalFeatures"/>, e.g. <see cref="KolterMadryCnn"/>.</param>
    /// <param name="images">Batch (N, C, H, W).</param>
    /// <param name="classes">Class to explain per image, int64 (N); null: the predicted class.</param>
    public static Tensor Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor? classes = null)
    {
        if (model is not IConvolutionalFeatures split)
            throw new ArgumentException(
                $"Grad-CAM needs the activations of a convolutional layer; a {model?.GetType().Name ?? "null model"} does not expose them. " +
                $"Use a model that implements {nameof(IConvolutionalFeatures)} (the Kolter–Madry CNN does).", nameof(model));
        using var scope = NewDisposeScope();
        var target = ClassScores.Resolve("GradCam", model, images, classes);
        var map = ClassScores.InEval(model, () =>
        {
            using var gradients = enable_grad();
            var features = split.Features(images.detach()).detach().requires_grad_(true);
            var score = ClassScores.Select(split.Classify(features), target).sum();
            var gradient = autograd.grad(new[] { score }, new[] { features })[0];
            var weights = gradient.mean(new long[] { 2, 3 }, keepdim: true);
            return nn.functional.relu((weights * features).sum(1, keepdim: true)).detach();
        });
        var upsampled = nn.functional.interpolate(map, new long[] { images.shape[2], images.shape[3] }, mode: InterpolationMode.Bilinear, align_corners: false);
        var peak = upsampled.flatten(1).amax(new long[] { 1 }).clamp_min(1e-12).view(-1, 1, 1, 1);
        return scope.MoveToOuter(upsampled / peak);
    }
}
