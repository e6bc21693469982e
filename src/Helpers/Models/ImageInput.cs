using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Models;

/// <summary>
/// Checks what a model's <c>forward</c> receives, so that a wrong shape, type or device fails with a sentence
/// a learner can act on instead of an error from deep inside libtorch.
/// </summary>
internal static class ImageInput
{
    /// <summary>Image height and width the models are built for (MNIST, Fashion-MNIST).</summary>
    public const int Side = 28;

    /// <summary>Pixels of one flattened image.</summary>
    public const int Pixels = Side * Side;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> unless <paramref name="x"/> is a float32 batch shaped (N, 1, 28, 28)
    /// (or (N, 784) when <paramref name="acceptFlat"/>) on the same device as <paramref name="model"/>'s parameters.
    /// </summary>
    public static void Validate(Tensor x, nn.Module model, bool acceptFlat)
    {
        ArgumentNullException.ThrowIfNull(x);
        string name = model.GetType().Name;
        long[] shape = x.shape;
        bool image = shape.Length == 4 && shape[1] == 1 && shape[2] == Side && shape[3] == Side;
        bool flat = acceptFlat && shape.Length == 2 && shape[1] == Pixels;
        if (!image && !flat)
        {
            string expected = acceptFlat ? $"(N, 1, {Side}, {Side}) or flattened (N, {Pixels})" : $"(N, 1, {Side}, {Side})";
            throw new ArgumentException(
                $"{name} expects images shaped {expected}; got {Format(shape)}. {Hint(shape, acceptFlat)}", nameof(x));
        }

        if (x.dtype != ScalarType.Float32)
            throw new ArgumentException(
                $"{name} expects float32 pixels in [0, 1]; got {x.dtype}. Convert with x.to(ScalarType.Float32)" +
                (x.dtype == ScalarType.Byte ? " and divide by 255." : "."), nameof(x));

        Device? weights = model.parameters().FirstOrDefault()?.device;
        if (weights is not null && (weights.type != x.device.type || weights.index != x.device.index))
            throw new ArgumentException(
                $"{name} has its weights on {weights} but the input is on {x.device}. Move the input with x.to(device) " +
                "(or the model with model.to(device)).", nameof(x));
    }

    /// <summary>A shape written the way learners see it in Python: (3, 28, 28).</summary>
    public static string Format(IEnumerable<long> shape) => "(" + string.Join(", ", shape) + ")";

    private static string Hint(long[] s, bool acceptFlat)
    {
        if (s.Length == 3 && s[1] == Side && s[2] == Side)
            return s[0] == 1
                ? "Add a batch dimension with x.unsqueeze(0)."
                : $"If these are {s[0]} grayscale images, add the channel dimension with x.unsqueeze(1); " +
                  "a single image needs a batch dimension: add it with x.unsqueeze(0).";
        if (s.Length == 2 && s[0] == Side && s[1] == Side)
            return $"A single image needs batch and channel dimensions: x.reshape(1, 1, {Side}, {Side}).";
        if (s.Length == 1 && s[0] == Pixels)
            return acceptFlat
                ? "Add a batch dimension with x.unsqueeze(0)."
                : $"Reshape the flattened image with x.reshape(1, 1, {Side}, {Side}).";
        if (s.Length == 2 && s[1] == Pixels)
            return $"This model takes images, not flattened vectors: reshape with x.reshape(-1, 1, {Side}, {Side}).";
        if (s.Length == 4 && s[1] == Side && s[2] == Side && s[3] == 1)
            return "The channel dimension is last; move it to position 1 with x.permute(0, 3, 1, 2).";
        if (s.Length == 4 && s[2] == Side && s[3] == Side)
            return $"The model takes grayscale images with 1 channel, not {s[1]}.";
        return $"The model is built for {Side}x{Side} grayscale images (MNIST, Fashion-MNIST).";
    }
}
