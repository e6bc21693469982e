using System.Globalization;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// Poisoning of a centralised training set (the attacker controls some rows before training): label flipping, the
/// BadNets trigger backdoor (Gu et al. 2017) and its clean-label variant (Turner et al. 2019). Every method picks
/// exactly round(fraction × eligible rows) rows with a seeded generator, copies the data set, changes only those rows,
/// and reports which rows it changed.
/// </summary>
public static class DataPoisoning
{
    /// <summary>
    /// Exactly round(<paramref name="fraction"/> × |eligible|) distinct indices drawn uniformly from
    /// <paramref name="eligible"/> (the same for the same seed), ascending.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside [0, 1].</exception>
    public static long[] Choose(IReadOnlyList<long> eligible, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(eligible);
        CheckFraction(fraction);
        int count = (int)Math.Round(fraction * eligible.Count, MidpointRounding.AwayFromZero);
        long[] pool = eligible.ToArray();
        var random = new Random(seed);
        for (int i = 0; i < count; i++) // partial Fisher–Yates
        {
            int j = random.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(count).Order().ToArray();
    }

    /// <summary>
    /// Label flipping: a <paramref name="fraction"/> of the rows whose label the map changes get label map[y]; images
    /// are untouched. With <see cref="LabelMap.Reverse"/> every row is eligible, so the fraction is of the whole set.
    /// </summary>
    /// <exception cref="ArgumentException">The map does not cover the data set's classes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside [0, 1].</exception>
    public static PoisonedDataset FlipLabels(ImageDataset data, LabelMap map, double fraction, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(map);
        if (map.Classes != data.NumClasses)
            throw new ArgumentException($"The label map covers {map.Classes} classes, but '{data.Name}' has {data.NumClasses}.", nameof(map));
        long[] labels = data.Labels.data<long>().ToArray();
        long[] rows = Choose(Rows(labels, map.Changes), fraction, seed);
        using var scope = NewDisposeScope();
        var index = tensor(rows);
        var newLabels = data.Labels.clone();
        if (rows.Length > 0) newLabels.index_copy_(0, index, map.Apply(data.Labels.index_select(0, index)));
        string attack = string.Create(CultureInfo.InvariantCulture, $"label flip ({map.Description}), {fraction:P0}");
        return new PoisonedDataset(new ImageDataset($"{data.Name}, {attack}", data.Images.clone(), newLabels, data.ClassNames), rows, attack);
    }

    /// <summary>
    /// BadNets (Gu et al. 2017): a <paramref name="fraction"/> of the rows of the other classes (not
    /// <paramref name="targetClass"/>) get the trigger and the label <paramref name="targetClass"/>. The poison rate of
    /// the whole set is therefore fraction × (share of non-target rows).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The target class or the fraction is out of range.</exception>
    public static PoisonedDataset Backdoor(ImageDataset data, BackdoorTrigger trigger, int targetClass, double fraction, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trigger);
        CheckClass(data, targetClass);
        long[] labels = data.Labels.data<long>().ToArray();
        long[] rows = Choose(Rows(labels, y => y != targetClass), fraction, seed);
        using var scope = NewDisposeScope();
        var images = trigger.ApplyTo(data.Images, rows);
        var newLabels = data.Labels.clone();
        if (rows.Length > 0) newLabels.index_fill_(0, tensor(rows), targetClass);
        string attack = string.Create(CultureInfo.InvariantCulture, $"BadNets → {targetClass}, {fraction:P0} of the other classes");
        return new PoisonedDataset(new ImageDataset($"{data.Name}, {attack}", images, newLabels, data.ClassNames), rows, attack);
    }

    /// <summary>
    /// Clean-label backdoor (Turner et al. 2019, "Label-Consistent Backdoor Attacks"): a <paramref name="fraction"/> of
    /// the rows of <paramref name="targetClass"/> are first made hard to classify — an untargeted PGD perturbation of L∞
    /// size <paramref name="epsilon"/> against <paramref name="surrogate"/>, a model the attacker trained himself — and
    /// then get the trigger. Labels stay correct, so the poisons pass a human label check; the model, unable to
    /// learn these images from their content, learns the trigger instead.
    /// </summary>
    /// <param name="data">The clean training set.</param>
    /// <param name="trigger">The trigger.</param>
    /// <param name="targetClass">The class whose images are poisoned (and which the trigger should produce).</param>
    /// <param name="fraction">Share of the target class's rows to poison, in [0, 1].</param>
    /// <param name="surrogate">The attacker's model for the perturbation (not the victim's).</param>
    /// <param name="epsilon">L∞ size of the perturbation (0: trigger only).</param>
    /// <param name="steps">PGD steps.</param>
    /// <param name="seed">Seed of the row choice and PGD's random start.</param>
    /// <param name="device">Where to run PGD.</param>
    /// <exception cref="ArgumentOutOfRangeException">The target class, the fraction or ε is out of range.</exception>
    public static PoisonedDataset CleanLabelBackdoor(
        ImageDataset data, BackdoorTrigger trigger, int targetClass, double fraction,
        nn.Module<Tensor, Tensor> surrogate, double epsilon, int steps = 10, int seed = 0, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(surrogate);
        CheckClass(data, targetClass);
        Guard.NonNegative(epsilon, nameof(epsilon));
        device ??= CPU;
        long[] labels = data.Labels.data<long>().ToArray();
        long[] rows = Choose(Rows(labels, y => y == targetClass), fraction, seed);
        using var scope = NewDisposeScope();
        var images = data.Images.clone();
        if (rows.Length > 0)
        {
            var index = tensor(rows);
            var chosen = images.index_select(0, index);
            if (epsilon > 0)
            {
                var attack = new Pgd(surrogate, epsilon, steps: steps, seed: seed);
                var parts = new List<Tensor>();
                for (long start = 0; start < rows.Length; start += 500)
                {
                    using var batchScope = NewDisposeScope();
                    long length = Math.Min(500, rows.Length - start);
                    var x = chosen.narrow(0, start, length).to(device);
                    var y = full(length, (long)targetClass, ScalarType.Int64, device: device);
                    parts.Add(batchScope.MoveToOuter(attack.Run(x, y).cpu()));
                }
                chosen = cat(parts, 0);
            }
            images.index_copy_(0, index, trigger.Apply(chosen));
        }
        string name = string.Create(CultureInfo.InvariantCulture, $"clean-label backdoor → {targetClass}, {fraction:P0} of the class, ε = {epsilon:G3}");
        return new PoisonedDataset(new ImageDataset($"{data.Name}, {name}", images, data.Labels.clone(), data.ClassNames), rows, name);
    }

    private static long[] Rows(long[] labels, Func<long, bool> eligible) =>
        Enumerable.Range(0, labels.Length).Where(i => eligible(labels[i])).Select(i => (long)i).ToArray();

    private static void CheckFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"The poisoned fraction must lie in [0, 1]; got {fraction}.");
    }

    private static void CheckClass(ImageDataset data, int targetClass)
    {
        if (targetClass < 0 || targetClass >= data.NumClasses)
            throw new ArgumentOutOfRangeException(nameof(targetClass), targetClass, $"The target class must lie in 0 … {data.NumClasses - 1} ('{data.Name}' has {data.NumClasses} classes).");
    }
}
