using static TorchSharp.torch;

namespace ModelSecurity.Data;

/// <summary>
/// One mini-batch from a <see cref="DataLoader"/>: images (B, C, H, W) and labels (B) on the loader's device.
/// The tensors are copies owned by the batch (and by the dispose scope that was current when it was made);
/// dispose the batch when done with it, e.g. <c>foreach (var batch in loader) { using (batch) { ... } }</c>.
/// </summary>
public sealed class Batch : IDisposable
{
    /// <summary>Wraps a batch's tensors.</summary>
    /// <param name="images">Images, shape (B, C, H, W).</param>
    /// <param name="labels">Labels, shape (B).</param>
    public Batch(Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.shape.Length == 0 || labels.shape.Length != 1 || images.shape[0] != labels.shape[0])
            throw new ArgumentException(
                $"A batch needs images (B, ...) and labels (B) with the same B; got shapes ({string.Join(", ", images.shape)}) " +
                $"and ({string.Join(", ", labels.shape)}).");
        Images = images;
        Labels = labels;
        Count = (int)labels.shape[0];
    }

    /// <summary>Images, float32 (B, C, H, W) in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>Labels, int64 (B).</summary>
    public Tensor Labels { get; }

    /// <summary>Number of examples B.</summary>
    public int Count { get; }

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
