using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy.Inversion;

/// <summary>
/// Model inversion (Fredrikson, Jha and Ristenpart, CCS 2015): with white-box access, reconstruct what a model has
/// learnt a class looks like by gradient ascent on the input,
/// x* = argmax_{x ∈ [0,1]^d} z_y(x) − λ_TV·TV(x) − λ₂‖x‖², with z_y the class's logit. For a face-recognition model
/// the result can resemble the person; for a model of the whole class it is a class representative — and how
/// recognisable it is says how much of the training data's appearance the model's gradients expose.
/// </summary>
public static class ModelInversion
{
    /// <summary>
    /// One reconstruction per class in <paramref name="classes"/>, optimised together (Adam on the pixels, projected to
    /// [0, 1] after every step). The model is used in eval mode with frozen parameters; both are restored.
    /// </summary>
    /// <exception cref="ArgumentException">No classes, a class outside the model's outputs, or an image shape that is not (C, H, W).</exception>
    public static InversionResult Reconstruct(
        nn.Module<Tensor, Tensor> model, IReadOnlyList<int> classes, long[] imageShape, InversionOptions? options = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(imageShape);
        options ??= new InversionOptions();
        options.Validate();
        if (classes.Count == 0) throw new ArgumentException("Give at least one class to reconstruct.", nameof(classes));
        if (imageShape.Length != 3 || imageShape.Any(s => s < 1))
            throw new ArgumentException($"The image shape is (C, H, W), e.g. [1, 28, 28]; got [{string.Join(", ", imageShape)}].", nameof(imageShape));
        device ??= CPU;

        var parameters = model.parameters().ToList();
        bool[] required = parameters.Select(p => p.requires_grad).ToArray();
        bool wasTraining = model.training;
        model.eval();
        foreach (var p in parameters) p.requires_grad_(false);
        try
        {
            using var scope = NewDisposeScope();
            var target = tensor(classes.Select(c => (long)c).ToArray(), device: device).unsqueeze(1);
            var shape = new long[] { classes.Count }.Concat(imageShape).ToArray();
            var x = new TorchSharp.Modules.Parameter(full(shape, options.StartValue, ScalarType.Float32, device: device), requires_grad: true);
            double[] initial = TargetLogits(model, x, target, classes);
            using var optimizer = optim.Adam(new[] { x }, options.StepSize);
            using var progress = Runtime.Progress.Start("model inversion", options.Steps, "step");
            for (int step = 0; step < options.Steps; step++, progress.Advance())
            {
                Runtime.Interruption.ThrowIfRequested();
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                var logits = model.forward(x);
                if (logits.ndim != 2 || classes.Any(c => c < 0 || c >= logits.shape[1]))
                    throw new ArgumentException($"Every class must be an output of the model (0 … {logits.shape[^1] - 1}); got {string.Join(", ", classes)}.", nameof(classes));
                var objective = logits.gather(1, target).sum()
                                - options.TotalVariationWeight * TotalVariation(x).sum()
                                - options.L2Weight * x.square().flatten(1).sum(1).sum();
                (-objective).backward();
                optimizer.step();
                using (no_grad()) x.clamp_(0, 1);
            }
            double[] final = TargetLogits(model, x, target, classes);
            double[] probabilities;
            using (no_grad())
                probabilities = model.forward(x).softmax(1).gather(1, target).squeeze(1).cpu().to_type(ScalarType.Float64).data<double>().ToArray();
            var images = x.detach().cpu().clone();
            scope.MoveToOuter(images);
            return new InversionResult(classes.ToArray(), images, initial, final, probabilities);
        }
        finally
        {
            for (int i = 0; i < parameters.Count; i++) parameters[i].requires_grad_(required[i]);
            model.train(wasTraining);
        }
    }

    /// <summary>Anisotropic total variation of each image (N, C, H, W) → (N): Σ |x[i+1, j] − x[i, j]| + |x[i, j+1] − x[i, j]|.</summary>
    public static Tensor TotalVariation(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4) throw new ArgumentException($"Expected images (N, C, H, W), got shape {Guard.Shape(images)}.", nameof(images));
        long h = images.shape[2], w = images.shape[3];
        var down = (images.narrow(2, 1, h - 1) - images.narrow(2, 0, h - 1)).abs().flatten(1).sum(1);
        var right = (images.narrow(3, 1, w - 1) - images.narrow(3, 0, w - 1)).abs().flatten(1).sum(1);
        return down + right;
    }

    private static double[] TargetLogits(nn.Module<Tensor, Tensor> model, Tensor x, Tensor target, IReadOnlyList<int> classes)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var logits = model.forward(x);
        if (logits.ndim != 2 || classes.Any(c => c < 0 || c >= logits.shape[1]))
            throw new ArgumentException($"Every class must be an output of the model (0 … {logits.shape[^1] - 1}); got {string.Join(", ", classes)}.", nameof(classes));
        return logits.gather(1, target).squeeze(1).cpu().to_type(ScalarType.Float64).data<double>().ToArray();
    }
}
