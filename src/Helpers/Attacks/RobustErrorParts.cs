using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Robust error split as in TRADES (Zhang et al. 2019): R_rob = R_nat + R_bdy. The natural error counts examples the
/// model gets wrong without attack; the boundary error counts examples it gets right but that lie within ε of its
/// decision boundary — measured as "the attack changed the prediction". All three are fractions of all examples.
/// </summary>
/// <param name="Natural">Fraction misclassified without attack.</param>
/// <param name="Boundary">Fraction classified correctly without attack whose adversarial prediction differs.</param>
/// <param name="Count">Number of examples.</param>
public sealed record RobustErrorParts(double Natural, double Boundary, int Count)
{
    /// <summary>The robust error, <see cref="Natural"/> + <see cref="Boundary"/>.</summary>
    public double Robust => Natural + Boundary;

    /// <summary>Splits the error from predicted classes (N) without and with attack and the labels (N).</summary>
    /// <exception cref="ArgumentException">The three tensors are not one-dimensional of one length.</exception>
    public static RobustErrorParts FromPredictions(Tensor cleanPredictions, Tensor adversarialPredictions, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(cleanPredictions);
        ArgumentNullException.ThrowIfNull(adversarialPredictions);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dim() != 1 || !cleanPredictions.shape.SequenceEqual(labels.shape) || !adversarialPredictions.shape.SequenceEqual(labels.shape))
            throw new ArgumentException(
                $"Predictions and labels must be class indices shaped (N): got clean ({string.Join(", ", cleanPredictions.shape)}), " +
                $"adversarial ({string.Join(", ", adversarialPredictions.shape)}), labels ({string.Join(", ", labels.shape)}). " +
                "Use logits.argmax(1) to turn logits into predictions.");
        int count = (int)labels.shape[0];
        if (count == 0) return new RobustErrorParts(0, 0, 0);
        using var scope = NewDisposeScope();
        var right = cleanPredictions.eq(labels);
        long wrong = count - right.sum().item<long>();
        long flipped = right.logical_and(adversarialPredictions.ne(cleanPredictions)).sum().item<long>();
        return new RobustErrorParts(wrong / (double)count, flipped / (double)count, count);
    }

    /// <summary>
    /// The parts from an untargeted attack's report: the natural error is 1 − clean accuracy, and the boundary error is
    /// clean accuracy × success rate (the share of correct points the attack flipped; for a correct point "the
    /// prediction changed" and "the prediction is wrong" are the same).
    /// </summary>
    public static RobustErrorParts FromReport(AttackReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new RobustErrorParts(1 - report.CleanAccuracy, report.CleanAccuracy * report.SuccessRate, report.Count);
    }

    /// <summary>
    /// Measures the parts for <paramref name="model"/> on <paramref name="data"/> with <paramref name="attack"/>, in batches
    /// (<see cref="RobustnessEvaluator.Evaluate"/> with the model in eval mode, then <see cref="FromReport"/>).
    /// </summary>
    public static RobustErrorParts Measure(nn.Module<Tensor, Tensor> model, Data.ImageDataset data, Attack attack, Device? device = null, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            device ??= model.parameters().FirstOrDefault()?.device; // batches go where the model is
            return FromReport(RobustnessEvaluator.Evaluate(model, data, attack, device, batchSize, log: TextWriter.Null));
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
