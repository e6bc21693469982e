using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// A multilayer perceptron with one hidden layer: 784 → hidden (ReLU) → classes.
/// </summary>
/// <remarks>
/// Input: float32 images (N, 1, 28, 28) or flattened (N, 784), pixels in [0, 1]. Output: logits (N, numClasses).
/// State names: <c>fc1.weight</c>, <c>fc1.bias</c>, <c>fc2.weight</c>, <c>fc2.bias</c>.
/// </remarks>
public sealed class Mlp : Module<Tensor, Tensor>
{
    /// <summary>The name under which <see cref="ModelZoo"/> and checkpoints know this architecture.</summary>
    public const string ArchitectureName = "mlp";

    /// <summary>Width of the hidden layer unless another is asked for.</summary>
    public const int DefaultHiddenSize = 200;

    private readonly TorchSharp.Modules.Linear fc1;
    private readonly TorchSharp.Modules.ReLU relu;
    private readonly TorchSharp.Modules.Linear fc2;

    /// <summary>Creates the model with PyTorch's default initialization (uses the global seed, <c>torch.manual_seed</c>).</summary>
    /// <param name="numClasses">Number of output logits; at least 2.</param>
    /// <param name="hiddenSize">Width of the hidden layer; at least 1.</param>
    public Mlp(int numClasses = 10, int hiddenSize = DefaultHiddenSize) : base(ModelArguments.Prepare(nameof(Mlp)))
    {
        NumClasses = ModelArguments.CheckNumClasses(numClasses);
        if (hiddenSize < 1)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "The hidden layer needs at least 1 unit.");
        HiddenSize = hiddenSize;
        fc1 = Linear(ImageInput.Pixels, hiddenSize);
        relu = ReLU();
        fc2 = Linear(hiddenSize, numClasses);
        RegisterComponents();
    }

    /// <summary>Number of classes, i.e. of output logits.</summary>
    public int NumClasses { get; }

    /// <summary>Width of the hidden layer.</summary>
    public int HiddenSize { get; }

    /// <summary>Computes the logits (N, <see cref="NumClasses"/>) of a batch of images.</summary>
    /// <exception cref="ArgumentException">The input is not a float32 batch (N, 1, 28, 28) or (N, 784) on the model's device.</exception>
    public override Tensor forward(Tensor input)
    {
        ImageInput.Validate(input, this, acceptFlat: true);
        // call, not forward: runs the layers' forward hooks (DP-SGD's per-example gradients use them)
        return fc2.call(relu.call(fc1.call(input.flatten(1))));
    }
}
