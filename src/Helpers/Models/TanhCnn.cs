using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// The small CNN used for differentially private training in chapter 5: the MNIST/Fashion-MNIST network of Papernot et
/// al., "Tempered Sigmoid Activations for Deep Learning with Differential Privacy" (AAAI 2021), with tanh activations.
/// The same layer shapes are Opacus's MNIST example network (with ReLU there).
/// </summary>
/// <remarks>
/// <para>
/// Layers: conv1 Conv2d(1, 16, 8, stride 2, padding 3) → 14×14, tanh, max-pool 2 with stride 1 → 13×13; conv2
/// Conv2d(16, 32, 4, stride 2) → 5×5, tanh, max-pool 2 with stride 1 → 4×4; flatten (512); fc1 Linear(512, 32), tanh;
/// fc2 Linear(32, classes). About 26 000 parameters.
/// </para>
/// <para>
/// Why tanh: DP-SGD clips every per-example gradient to a norm C. With unbounded activations (ReLU) activations and
/// gradients grow during training, so clipping cuts more and more of the signal while the noise σ·C stays the same;
/// bounded activations keep gradient norms near C and the noise relatively smaller (Papernot et al. measured 81.9 %
/// with ReLU against 86.1 % with tanh on Fashion-MNIST at ε ≈ 2.9). No batch norm: its statistics mix examples, which
/// DP-SGD's per-example gradients cannot allow.
/// </para>
/// Input: float32 images (N, 1, 28, 28), pixels in [0, 1]. Output: logits (N, numClasses).
/// </remarks>
public sealed class TanhCnn : Module<Tensor, Tensor>
{
    /// <summary>The name under which <see cref="ModelZoo"/> and checkpoints know this architecture.</summary>
    public const string ArchitectureName = "tanh-cnn";

    private readonly TorchSharp.Modules.Sequential features;
    private readonly TorchSharp.Modules.Sequential classifier;

    /// <summary>Creates the model with TorchSharp's default initialization (uses the global seed, <c>torch.manual_seed</c>).</summary>
    /// <param name="numClasses">Number of output logits; at least 2.</param>
    public TanhCnn(int numClasses = 10) : base(ModelArguments.Prepare(nameof(TanhCnn)))
    {
        NumClasses = ModelArguments.CheckNumClasses(numClasses);
        features = Sequential(
            ("conv1", Conv2d(1, 16, 8, stride: 2, padding: 3)),
            ("tanh1", Tanh()),
            ("pool1", MaxPool2d(2, 1)),
            ("conv2", Conv2d(16, 32, 4, stride: 2)),
            ("tanh2", Tanh()),
            ("pool2", MaxPool2d(2, 1)));
        classifier = Sequential(
            ("fc1", Linear(32 * 4 * 4, 32)),
            ("tanh3", Tanh()),
            ("fc2", Linear(32, numClasses)));
        RegisterComponents();
    }

    /// <summary>Number of classes, i.e. of output logits.</summary>
    public int NumClasses { get; }

    /// <summary>Computes the logits (N, <see cref="NumClasses"/>) of a batch of images.</summary>
    /// <exception cref="ArgumentException">The input is not a float32 batch (N, 1, 28, 28) on the model's device.</exception>
    public override Tensor forward(Tensor input)
    {
        ImageInput.Validate(input, this, acceptFlat: false);
        return classifier.call(features.call(input).flatten(1));
    }
}
