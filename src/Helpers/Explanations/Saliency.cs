using static TorchSharp.torch;

namespace ModelSecurity.Explanations;

/// <summary>
/// Vanilla saliency (Simonyan, Vedaldi &amp; Zisserman 2014): the gradient of the explained class's logit with respect to
/// the input pixels, ∂z_c/∂x. Its magnitude says which pixels change the score fastest — locally, at x only.
/// </summary>
public static class Saliency
{
    /// <summary>The input gradient ∂z_c/∂x for each image, shaped like <paramref name="images"/> (signed; take .abs() to show magnitude).</summary>
    /// <param name="model">Classifier (images → logits).</param>
    /// <param name="images">Batch (N, C, H, W).</param>
    /// <param name="classes">Class to explain per image, int64 (N); null: the predicted class.</param>
    public static Tensor Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor? classes = null)
    {
        using var scope = NewDisposeScope();
        var target = ClassScores.Resolve("Saliency", model, images, classes);
        var gradient = ClassScores.InEval(model, () => ClassScores.InputGradient(model, images, target));
        return scope.MoveToOuter(gradient);
    }
}
