using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// The student's loss in defensive distillation (Papernot et al. 2016): cross-entropy between the teacher's soft labels
/// softmax(z_teacher / T) and softmax(z_student / T), both at the training temperature T. The student is deployed at
/// T = 1, i.e. its raw logits are used.
/// </summary>
public sealed class DistillationObjective : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="teacher">A model trained with <see cref="TemperatureCrossEntropy"/> at the same T, on the training device.</param>
    /// <param name="temperature">T ≥ 1.</param>
    public DistillationObjective(nn.Module<Tensor, Tensor> teacher, double temperature)
    {
        Teacher = teacher ?? throw new ArgumentNullException(nameof(teacher));
        Temperature = DistillationArguments.Temperature(temperature);
    }

    /// <summary>The teacher network.</summary>
    public nn.Module<Tensor, Tensor> Teacher { get; }

    /// <summary>T.</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public string Name => $"distillation at temperature T={Temperature:G3}";

    /// <summary>The teacher's soft labels softmax(z / T) for a batch, (N, classes), without gradients.</summary>
    public Tensor SoftLabels(Tensor images)
    {
        using var noGrad = no_grad();
        bool wasTraining = Teacher.training;
        Teacher.eval();
        try { return (Teacher.forward(images) / Temperature).softmax(1); }
        finally { Teacher.train(wasTraining); }
    }

    /// <inheritdoc />
    public TrainingStep Compute(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        var soft = SoftLabels(images);
        var logits = model.forward(images);
        var loss = -(soft * (logits / Temperature).log_softmax(1)).sum(1).mean();
        return new TrainingStep(loss, logits);
    }
}
