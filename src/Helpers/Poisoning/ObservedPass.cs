using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// Runs a model over a data set only so that hooks can observe its layers: eval mode, no gradients, one dispose scope
/// per batch; afterwards the hook is removed and the model's training mode restored, also when a batch throws.
/// </summary>
internal static class ObservedPass
{
    /// <summary>Forward passes over <paramref name="data"/> in batches; <paramref name="removeHook"/> runs at the end.</summary>
    public static void Run(nn.Module<Tensor, Tensor> model, ImageDataset data, Device device, int batchSize, Action removeHook)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in new DataLoader(data, batchSize, device))
            {
                using var scope = NewDisposeScope();
                using (batch) model.forward(batch.Images);
            }
        }
        finally
        {
            removeHook();
            model.train(wasTraining);
        }
    }
}
