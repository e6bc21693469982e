using ModelSecurity.Data;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// Fine-pruning (Liu, Dolan-Gavitt and Garg, RAID 2018): backdoor behaviour tends to live in channels of the last
/// convolutional layer that clean inputs leave dormant. Measure every channel's mean activation (after ReLU) on clean
/// data, prune the least active ones, then fine-tune on clean data to recover the accuracy the pruning cost.
/// </summary>
public static class FinePruning
{
    /// <summary>
    /// Mean activation (after ReLU) of every output channel of the model's last <c>Conv2d</c> on <paramref name="clean"/>,
    /// indexed by channel (eval mode, no gradients).
    /// </summary>
    /// <exception cref="ArgumentException">The model has no convolutional layer.</exception>
    public static double[] ChannelActivations(nn.Module<Tensor, Tensor> model, ImageDataset clean, Device? device = null, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clean);
        device ??= CPU;
        var conv = LastConv(model);
        var sums = new double[conv.out_channels];
        // The hook copies to managed memory at once: intermediate tensors of a Sequential do not outlive its forward.
        var hook = conv.register_forward_hook((_, _, output) =>
        {
            using var scope = NewDisposeScope();
            // Per channel: the spatial mean of the ReLU output, summed over the batch's images.
            float[] batchSums = nn.functional.relu(output.detach()).mean(new long[] { 2, 3 }).sum(0L).cpu().data<float>().ToArray();
            for (int c = 0; c < sums.Length; c++) sums[c] += batchSums[c];
            return output;
        });
        ObservedPass.Run(model, clean, device, batchSize, () => hook.remove());
        return sums.Select(s => clean.Count == 0 ? 0 : s / clean.Count).ToArray();
    }

    /// <summary>
    /// Prunes the ⌈<paramref name="fraction"/> × channels⌉ least active channels of the last convolution on
    /// <paramref name="clean"/> by zeroing their weights and biases (in place): their ReLU output is then 0, and since
    /// ReLU's gradient at 0 is 0 they receive no gradient during fine-tuning either. Returns the pruned channels.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside [0, 1].</exception>
    public static int[] Prune(nn.Module<Tensor, Tensor> model, ImageDataset clean, double fraction, Device? device = null)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"The pruned fraction of channels must lie in [0, 1]; got {fraction}.");
        double[] activation = ChannelActivations(model, clean, device);
        int count = (int)Math.Ceiling(fraction * activation.Length);
        int[] pruned = Enumerable.Range(0, activation.Length).OrderBy(c => activation[c]).ThenBy(c => c).Take(count).Order().ToArray();
        ZeroChannels(model, pruned);
        return pruned;
    }

    /// <summary>
    /// Fine-tunes a pruned model on clean data with <paramref name="recipe"/> (the Trainer), then zeroes the pruned
    /// channels again so that they stay pruned whatever the optimizer did.
    /// </summary>
    public static TrainingHistory FineTune(nn.Module<Tensor, Tensor> model, int[] prunedChannels, ImageDataset clean, TrainingRecipe recipe, Device device, ITrainingReporter? reporter = null)
    {
        ArgumentNullException.ThrowIfNull(prunedChannels);
        var history = new Trainer(reporter ?? SilentTrainingReporter.Instance).Fit(model, clean, recipe, device);
        ZeroChannels(model, prunedChannels);
        return history;
    }

    private static void ZeroChannels(nn.Module<Tensor, Tensor> model, int[] channels)
    {
        var conv = LastConv(model);
        foreach (int c in channels)
            if (c < 0 || c >= conv.out_channels)
                throw new ArgumentException($"Channel {c} does not exist: the last convolution has {conv.out_channels} output channels.", nameof(channels));
        if (channels.Length == 0) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var index = tensor(channels.Select(c => (long)c).ToArray(), device: conv.weight!.device);
        conv.weight!.index_fill_(0, index, 0);
        conv.bias?.index_fill_(0, index, 0);
    }

    private static TorchSharp.Modules.Conv2d LastConv(nn.Module<Tensor, Tensor> model) =>
        model.modules().OfType<TorchSharp.Modules.Conv2d>().LastOrDefault()
        ?? throw new ArgumentException($"A {model.GetType().Name} has no Conv2d layer to prune; fine-pruning needs a convolutional network (e.g. the Kolter–Madry CNN).", nameof(model));
}
