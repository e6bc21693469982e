using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>
/// What a training step minimises. The trainer owns the loop (data, optimizer, schedule, progress);
/// objectives own the loss — plain cross-entropy here, adversarial training and TRADES in later chapters.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Short name shown in progress lines and stored in checkpoints.</summary>
    string Name { get; }

    /// <summary>
    /// Computes the loss to minimise on one batch (the model is in training mode) and the logits whose
    /// accuracy the trainer reports (on adversarial examples for adversarial objectives).
    /// </summary>
    TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels);
}

/// <summary>The result of <see cref="ITrainingObjective.Compute"/>.</summary>
/// <param name="Loss">Scalar loss to back-propagate.</param>
/// <param name="Logits">Logits (N, classes) used for the reported training accuracy.</param>
public sealed record TrainingStep(Tensor Loss, Tensor Logits);

/// <summary>Standard training: mean cross-entropy on the clean batch.</summary>
public sealed class CrossEntropyObjective : ITrainingObjective
{
    /// <inheritdoc />
    public string Name => "cross-entropy";

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var logits = model.forward(images);
        return new TrainingStep(nn.functional.cross_entropy(logits, labels), logits);
    }
}
