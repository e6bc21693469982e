using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// Cross-entropy of softmax(z / T): the teacher's training loss in defensive distillation (Papernot et al. 2016).
/// The network learns logits z about T times larger than normal training would; deployed at T = 1 its softmax saturates.
/// </summary>
public sealed class TemperatureCrossEntropy : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="temperature">T ≥ 1 (Papernot et al. use 100 on MNIST).</param>
    public TemperatureCrossEntropy(double temperature)
    {
        Temperature = DistillationArguments.Temperature(temperature);
    }

    /// <summary>T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public string Name => $"cross-entropy at temperature T={Temperature:G3}";

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var logits = model.forward(images);
        return new TrainingStep(nn.functional.cross_entropy(logits / Temperature, labels), logits);
    }
}
