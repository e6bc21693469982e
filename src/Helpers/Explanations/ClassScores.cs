using static TorchSharp.torch;

namespace ModelSecurity.Explanations;

/// <summary>
/// What every explanation method shares: input checks, the explained class per image (given, or the predicted one),
/// the model in eval mode for the duration, and the gradient of the explained logits with respect to an input.
/// </summary>
internal static class ClassScores
{
    /// <summary>Checks a batch of images and returns the classes to explain: <paramref name="classes"/>, or the model's predictions.</summary>
    public static Tensor Resolve(string method, nn.Module<Tensor, Tensor> model, Tensor images, Tensor? classes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4)
            throw new ArgumentException($"{method}: images must be a batch shaped (N, C, H, W); got {Guard.Shape(images)}. Add a batch dimension with x.unsqueeze(0).", nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"{method}: images must be floating point; got {images.dtype}.", nameof(images));
        if (classes is null)
        {
            using var noGrad = no_grad();
            return InEval(model, () => model.forward(images).argmax(1));
        }
        if (classes.ndim != 1 || classes.shape[0] != images.shape[0] || classes.dtype != ScalarType.Int64)
            throw new ArgumentException(
                $"{method}: classes must be int64 class indices shaped (N) = ({images.shape[0]}); got {classes.dtype} {Guard.Shape(classes)}.", nameof(classes));
        return classes;
    }

    /// <summary>Each row's logit of its class, (N).</summary>
    public static Tensor Select(Tensor logits, Tensor classes) => logits.gather(1, classes.unsqueeze(1)).squeeze(1);

    /// <summary>∇ₓ Σᵢ z_{cᵢ}(xᵢ): per image, the gradient of its class's logit with respect to its own pixels.</summary>
    public static Tensor InputGradient(nn.Module<Tensor, Tensor> model, Tensor x, Tensor classes)
    {
        Runtime.NumericsGuard.EnsureConvolutionGradients(model);
        using var gradients = enable_grad();
        var input = x.detach().requires_grad_(true);
        var score = Select(model.forward(input), classes).sum();
        return autograd.grad(new[] { score }, new[] { input })[0].detach();
    }

    /// <summary>Runs <paramref name="body"/> with the model in eval mode, then restores its mode.</summary>
    public static T InEval<T>(nn.Module<Tensor, Tensor> model, Func<T> body)
    {
        bool wasTraining = model.training;
        model.eval();
        try { return body(); }
        finally { model.train(wasTraining); }
    }
}
