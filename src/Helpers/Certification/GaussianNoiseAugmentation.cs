using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Certification;

/// <summary>
/// Training with Gaussian data augmentation, the base-classifier training of randomized smoothing (Cohen et al. 2019,
/// section 3.3): every batch is replaced by x + ε with ε ~ N(0, σ² I), then plain cross-entropy. The noisy images are
/// not clamped to [0, 1], exactly as the smoothed classifier will query the model.
/// </summary>
public sealed class GaussianNoiseAugmentation : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="sigma">Noise standard deviation σ in pixel units (images in [0, 1]); use the σ the model will be smoothed with.</param>
    public GaussianNoiseAugmentation(double sigma)
    {
        Sigma = SmoothingArguments.Sigma(sigma);
    }

    /// <summary>Noise standard deviation σ.</summary>
    public double Sigma { get; }

    /// <inheritdoc />
    public string Name => $"Gaussian noise augmentation (σ={Sigma:G3})";

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var noisy = images + randn_like(images) * Sigma;
        var logits = model.forward(noisy);
        return new TrainingStep(nn.functional.cross_entropy(logits, labels), logits);
    }
}
