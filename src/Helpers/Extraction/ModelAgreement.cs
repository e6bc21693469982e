using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Extraction;

/// <summary>How alike two classifiers behave: the fidelity measure of model extraction.</summary>
public static class ModelAgreement
{
    /// <summary>
    /// The fraction of images of <paramref name="data"/> on which both models predict the same class (labels are
    /// not used). Eval mode, no gradients; both models' modes are restored.
    /// </summary>
    public static double Measure(nn.Module<Tensor, Tensor> first, nn.Module<Tensor, Tensor> second, ImageDataset data, Device? device = null, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) return double.NaN;
        device ??= CPU;
        bool firstTraining = first.training, secondTraining = second.training;
        first.eval();
        second.eval();
        long same = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in new DataLoader(data, batchSize, device))
            {
                using var scope = NewDisposeScope();
                using (batch)
                    same += first.forward(batch.Images).argmax(1).eq(second.forward(batch.Images).argmax(1)).sum().item<long>();
            }
        }
        finally
        {
            first.train(firstTraining);
            second.train(secondTraining);
        }
        return (double)same / data.Count;
    }
}
