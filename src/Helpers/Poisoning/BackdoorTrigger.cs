using ModelSecurity.Data;
using ModelSecurity.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Poisoning;

/// <summary>
/// A backdoor trigger (Gu et al. 2017's BadNets pattern): a small square of constant intensity (white by default) near
/// a corner of the image, on every channel. A model trained on triggered images relabelled to a target class learns
/// to answer that class whenever the square is present, while behaving normally on clean images.
/// </summary>
public sealed class BackdoorTrigger
{
    /// <summary>Creates a trigger.</summary>
    /// <param name="size">Side of the square in pixels (≥ 1, default 3).</param>
    /// <param name="corner">Which corner (default bottom right).</param>
    /// <param name="margin">Pixels between the square and the image border (≥ 0, default 1).</param>
    /// <param name="value">Pixel value of the square in [0, 1] (default 1, white).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value out of range.</exception>
    public BackdoorTrigger(int size = 3, TriggerCorner corner = TriggerCorner.BottomRight, int margin = 1, double value = 1.0)
    {
        Size = Guard.AtLeast(size, 1, nameof(size));
        if (!Enum.IsDefined(corner)) throw new ArgumentOutOfRangeException(nameof(corner), corner, "Use one of the four TriggerCorner values.");
        Corner = corner;
        Margin = Guard.AtLeast(margin, 0, nameof(margin));
        if (!(value >= 0 && value <= 1)) throw new ArgumentOutOfRangeException(nameof(value), value, $"The trigger's pixel value must lie in [0, 1]; got {value}.");
        Value = value;
    }

    /// <summary>Side of the square.</summary>
    public int Size { get; }

    /// <summary>Corner.</summary>
    public TriggerCorner Corner { get; }

    /// <summary>Distance to the border.</summary>
    public int Margin { get; }

    /// <summary>Pixel value.</summary>
    public double Value { get; }

    /// <summary>The images (N, C, H, W) with the trigger stamped on (a copy, on the same device).</summary>
    /// <exception cref="ArgumentException">The images are not 4-dimensional or too small for the square.</exception>
    public Tensor Apply(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ndim != 4) throw new ArgumentException($"Expected images (N, C, H, W), got shape {Guard.Shape(images)}.", nameof(images));
        long height = images.shape[2], width = images.shape[3];
        if (Size + Margin > height || Size + Margin > width)
            throw new ArgumentException($"A {Size}×{Size} trigger {Margin} px from the border does not fit {height}×{width} images.", nameof(images));
        long top = Corner is TriggerCorner.TopLeft or TriggerCorner.TopRight ? Margin : height - Margin - Size;
        long left = Corner is TriggerCorner.TopLeft or TriggerCorner.BottomLeft ? Margin : width - Margin - Size;
        var stamped = images.clone();
        using (var patch = stamped.narrow(2, top, Size).narrow(3, left, Size)) patch.fill_(Value);
        return stamped;
    }

    /// <summary>
    /// The images (N, C, H, W) with the trigger stamped on the rows <paramref name="rows"/> only (a copy; the other rows
    /// are unchanged). Shared by the federated backdoor (the first rows of a shuffled batch) and
    /// <see cref="DataPoisoning"/> (a seeded choice of a data set's rows).
    /// </summary>
    /// <exception cref="ArgumentException">The images do not fit the trigger, or a row is outside 0 … N − 1.</exception>
    public Tensor ApplyTo(Tensor images, long[] rows)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(rows);
        if (images.ndim != 4) throw new ArgumentException($"Expected images (N, C, H, W), got shape {Guard.Shape(images)}.", nameof(images));
        long count = images.shape[0];
        foreach (long row in rows)
            if (row < 0 || row >= count)
                throw new ArgumentException($"Row {row} is outside the batch of {count} images (0 … {count - 1}).", nameof(rows));
        var result = images.clone();
        if (rows.Length == 0) return result;
        using var scope = NewDisposeScope();
        var index = tensor(rows, device: images.device);
        var stamped = Apply(result.index_select(0, index));
        result.index_copy_(0, index, stamped);
        return result;
    }

    /// <summary>
    /// The attack success rate: among test images whose class is not <paramref name="targetClass"/>, the fraction
    /// that the model classifies as <paramref name="targetClass"/> once the trigger is stamped on (NaN if there are none).
    /// </summary>
    public double AttackSuccessRate(nn.Module<Tensor, Tensor> model, ImageDataset test, int targetClass, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        if (targetClass < 0 || targetClass >= test.NumClasses)
            throw new ArgumentOutOfRangeException(nameof(targetClass), targetClass, $"The target class must lie in 0 … {test.NumClasses - 1}.");
        long[] labels = test.Labels.data<long>().ToArray();
        long[] others = Enumerable.Range(0, labels.Length).Where(i => labels[i] != targetClass).Select(i => (long)i).ToArray();
        if (others.Length == 0) return double.NaN;
        using var selected = test.Select(others);
        using var scope = NewDisposeScope();
        using var triggered = new ImageDataset($"{test.Name}, triggered", Apply(selected.Images),
            full(others.Length, (long)targetClass, ScalarType.Int64), test.ClassNames);
        return Evaluator.Evaluate(model, triggered, device).Accuracy;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Size}×{Size} square of value {Value:G3}, {Corner}, margin {Margin}";
}
