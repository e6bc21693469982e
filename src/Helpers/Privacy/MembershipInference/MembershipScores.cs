using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy.MembershipInference;

/// <summary>
/// What a model reveals about each example of a data set, the raw material of membership inference: its
/// cross-entropy loss, the softmax confidence of its true class, and the whole softmax vector.
/// </summary>
public sealed class MembershipScores
{
    private MembershipScores(double[] losses, double[] confidences, float[][] probabilities, long[] labels)
    {
        Losses = Array.AsReadOnly(losses);
        TrueClassConfidences = Array.AsReadOnly(confidences);
        Probabilities = Array.AsReadOnly(probabilities);
        Labels = Array.AsReadOnly(labels);
    }

    /// <summary>Per-example cross-entropy loss −log p(true class) (low for training members of an overfit model).</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>Per-example softmax probability of the true class, in [0, 1].</summary>
    public IReadOnlyList<double> TrueClassConfidences { get; }

    /// <summary>Per-example softmax vector (length = number of classes).</summary>
    public IReadOnlyList<float[]> Probabilities { get; }

    /// <summary>Per-example true label.</summary>
    public IReadOnlyList<long> Labels { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Losses.Count;

    /// <summary>Membership scores of the loss attack, higher = more likely a member: −loss.</summary>
    public double[] NegativeLosses() => Losses.Select(l => -l).ToArray();

    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="data"/> in batches, in eval mode and without gradients
    /// (the model's previous mode is restored), and records each example's loss, true-class confidence and softmax.
    /// </summary>
    /// <param name="model">A classifier returning logits of shape (N, classes).</param>
    /// <param name="data">The examples to score; not empty.</param>
    /// <param name="device">Where to compute (default: CPU).</param>
    /// <param name="batchSize">Examples per forward pass; at least 1.</param>
    /// <exception cref="ArgumentException">The data set is empty, or the model's output does not have one logit per class.</exception>
    public static MembershipScores Compute(nn.Module<Tensor, Tensor> model, ImageDataset data, Device? device = null, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        Guard.AtLeast(batchSize, 1, nameof(batchSize));
        if (data.Count == 0)
            throw new ArgumentException($"Data set '{data.Name}' is empty; there is nothing to score.", nameof(data));
        device ??= CPU;
        int classes = data.NumClasses;
        var losses = new double[data.Count];
        var confidences = new double[data.Count];
        var probabilities = new float[data.Count][];
        var labels = new long[data.Count];
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            int offset = 0;
            foreach (var batch in new DataLoader(data, batchSize, device))
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                using (batch)
                {
                    var logits = model.forward(batch.Images);
                    if (logits.ndim != 2 || logits.shape[0] != batch.Count || logits.shape[1] != classes)
                        throw new ArgumentException(
                            $"The model returns logits shaped {Guard.Shape(logits)} for a batch of {batch.Count}, but '{data.Name}' has " +
                            $"{classes} classes: expected ({batch.Count}, {classes}).", nameof(model));
                    var logProbabilities = nn.functional.log_softmax(logits.to_type(ScalarType.Float64), 1);
                    var trueLog = logProbabilities.gather(1, batch.Labels.unsqueeze(1)).squeeze(1).cpu();
                    double[] trueLogValues = trueLog.data<double>().ToArray();
                    float[] flat = logProbabilities.exp().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                    long[] batchLabels = batch.Labels.cpu().data<long>().ToArray();
                    for (int i = 0; i < batch.Count; i++)
                    {
                        losses[offset + i] = -trueLogValues[i];
                        confidences[offset + i] = Math.Exp(trueLogValues[i]);
                        probabilities[offset + i] = flat.AsSpan(i * classes, classes).ToArray();
                        labels[offset + i] = batchLabels[i];
                    }
                    offset += batch.Count;
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return new MembershipScores(losses, confidences, probabilities, labels);
    }
}
