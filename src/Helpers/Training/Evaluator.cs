using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>Clean accuracy, loss, per-class accuracy and confusion matrix of a classifier.</summary>
public static class Evaluator
{
    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="data"/> in eval mode without gradients,
    /// restoring the model's previous mode afterwards.
    /// </summary>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, Device? device = null, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        device ??= CPU;
        bool wasTraining = model.training;
        model.eval();
        int classes = data.NumClasses;
        var confusion = new int[classes, classes];
        double lossSum = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in new DataLoader(data, batchSize, device))
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                using (batch)
                {
                    var logits = model.forward(batch.Images);
                    if (logits.ndim != 2 || logits.shape[1] != classes)
                        throw new ArgumentException(
                            $"The model returns logits shaped ({string.Join(", ", logits.shape)}), but {data.Name} has {classes} classes: expected (N, {classes}).");
                    lossSum += nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
                    long[] predicted = logits.argmax(1).cpu().data<long>().ToArray();
                    long[] truth = batch.Labels.cpu().data<long>().ToArray();
                    for (int i = 0; i < truth.Length; i++) confusion[truth[i], predicted[i]]++;
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        var perClass = new List<ClassAccuracy>();
        long correct = 0;
        for (int c = 0; c < classes; c++)
        {
            int count = 0;
            for (int p = 0; p < classes; p++) count += confusion[c, p];
            correct += confusion[c, c];
            perClass.Add(new ClassAccuracy(c, data.ClassNames[c], count, count == 0 ? double.NaN : (double)confusion[c, c] / count));
        }
        return new EvaluationResult(data.Name, data.Count, (double)correct / data.Count, lossSum / data.Count, perClass, confusion);
    }
}
