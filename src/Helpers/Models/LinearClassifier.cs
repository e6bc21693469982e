using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// Multinomial logistic regression: one linear layer from the 784 pixels to the class logits.
/// Its gradient with respect to the input is the weight row of a class, which makes it the model on which
/// adversarial examples are easiest to understand.
/// </summary>
/// <remarks>
/// Input: float32 images (N, 1, 28, 28) or flattened (N, 784), pixels in [0, 1]. Output: logits (N, numClasses).
/// State names: <c>linear.weight</c>, <c>linear.bias</c>.
/// </remarks>
public sealed class LinearClassifier : Module<Tensor, Tensor>
{
    /// <summary>The name under which <see cref="ModelZoo"/> and checkpoints know this architecture.</summary>
    public const string ArchitectureName = "linear";

    private readonly TorchSharp.Modules.Linear linear;

    /// <summary>Creates the model with PyTorch's default initialization (uses the global seed, <c>torch.manual_seed</c>).</summary>
    /// <param name="numClasses">Number of output logits; at least 2.</param>
    public LinearClassifier(int numClasses = 10) : base(ModelArguments.Prepare(nameof(LinearClassifier)))
    {
        NumClasses = ModelArguments.CheckNumClasses(numClasses);
        linear = Linear(ImageInput.Pixels, numClasses);
        RegisterComponents();
    }

    /// <summary>Number of classes, i.e. of output logits.</summary>
    public int NumClasses { get; }

    /// <summary>Computes the logits (N, <see cref="NumClasses"/>) of a batch of images.</summary>
    /// <exception cref="ArgumentException">The input is not a float32 batch (N, 1, 28, 28) or (N, 784) on the model's device.</exception>
    public override Tensor forward(Tensor input)
    {
        ImageInput.Validate(input, this, acceptFlat: true);
        return linear.call(input.flatten(1)); // call, not forward: runs the layer's forward hooks (DP-SGD uses them)
    }
}
