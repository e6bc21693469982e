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
    public static Tensor Penultimate(nn.Module<Tensor, Tensor> model, ImageDataset data, Device? device = null, int batchSize = 500) =>
        LinearInput(model, data, 1, device, batchSize);

    /// <summary>
    /// The (flattened) input of the <paramref name="fromEnd"/>-th <c>Linear</c> layer counted from the output (1: the
    /// last, <see cref="Penultimate"/>; 2: the one before, e.g. the flattened convolutional features of the
    /// Kolter–Madry CNN), float32 (N, d) on the CPU, in the data set's order.
    /// </summary>
    /// <exception cref="ArgumentException">The model has fewer than <paramref name="fromEnd"/> linear layers.</exception>
    public static Tensor LinearInput(nn.Module<Tensor, Tensor> model, ImageDataset data, int fromEnd, Device? device = null, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        Guard.AtLeast(fromEnd, 1, nameof(fromEnd));
        var linears = model.modules().OfType<TorchSharp.Modules.Linear>().ToList();
        if (linears.Count < fromEnd)
            throw new ArgumentException($"A {model.GetType().Name} has {linears.Count} Linear layer(s); there is no {fromEnd}th from the end whose input could serve as a representation.", nameof(model));
        var last = linears[^fromEnd];
        device ??= CPU;
        // The hook copies to managed memory at once: intermediate tensors of a Sequential do not outlive its forward.
        var rows = new List<float[]>();
        var hook = last.register_forward_pre_hook((_, input) =>
        {
            using var scope = NewDisposeScope();
            using var flat = input.detach().flatten(1).cpu();
            rows.Add(flat.data<float>().ToArray());
            return input;
        });
        ObservedPass.Run(model, data, device, batchSize, () => hook.remove());
        float[] all = rows.SelectMany(r => r).ToArray();
        return tensor(all, new long[] { data.Count, last.in_features });
    }
}
