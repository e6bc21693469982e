using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// The penultimate-layer representation of a classifier — the input of its last linear layer — on which backdoor
/// defenses such as spectral signatures and activation clustering look for poisons.
/// </summary>
public static class Representations
{
    /// <summary>
    /// The input of <paramref name="model"/>'s last <c>Linear</c> layer for every image of <paramref name="data"/>,
    /// float32 (N, d) on the CPU, in the data set's order (eval mode, no gradients; the model's mode is restored).
    /// </summary>
    /// <exception cref="ArgumentException">The model has no linear layer.</exception>
    public static Tensor Penultimate(nn.Module<Tensor, Tensor> model, ImageDataset data, Device? device = null, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        device ??= CPU;
        var last = model.modules().OfType<TorchSharp.Modules.Linear>().LastOrDefault()
                   ?? throw new ArgumentException($"A {model.GetType().Name} has no Linear layer whose input could serve as the penultimate representation.", nameof(model));
        Tensor? captured = null;
        var hook = last.register_forward_pre_hook((_, input) =>
        {
            captured = input.detach().cpu();
            return input;
        });
        bool wasTraining = model.training;
        model.eval();
        var parts = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in new DataLoader(data, batchSize, device))
            {
                using var scope = NewDisposeScope();
                using (batch)
                {
                    model.forward(batch.Images);
                    parts.Add(scope.MoveToOuter(captured!.flatten(1)));
                }
            }
            using var outer = NewDisposeScope();
            return outer.MoveToOuter(parts.Count == 0 ? zeros(0, last.in_features) : cat(parts, 0));
        }
        finally
        {
            hook.remove();
            foreach (var part in parts) part.Dispose();
            model.train(wasTraining);
        }
    }
}
