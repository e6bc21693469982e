using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Federated.Poisoning;

/// <summary>Trains on the batches a <see cref="ClientAttack"/> makes of the real ones.</summary>
internal sealed class PoisonedObjective(ClientAttack attack, ITrainingObjective inner) : ITrainingObjective
{
    public string Name => $"{inner.Name}, poisoned by {attack.Name}";

    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var (poisonedImages, poisonedLabels) = attack.PoisonBatch(images, labels);
        return inner.Compute(model, poisonedImages, poisonedLabels);
    }
}
