using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// The convolutional network of Kolter and Madry's tutorial "Adversarial Robustness: Theory and Practice",
/// chapter 4 (adversarial training), where it is trained on MNIST both normally and with PGD.
/// </summary>
/// <remarks>
/// Layers: Conv2d(1, 32, 3, padding 1) ReLU, Conv2d(32, 32, 3, padding 1, stride 2) ReLU,
/// Conv2d(32, 64, 3, padding 1) ReLU, Conv2d(64, 64, 3, padding 1, stride 2) ReLU, Flatten,
/// Linear(7·7·64, 100) ReLU, Linear(100, classes). The strided convolutions take 28×28 to 14×14 to 7×7.
/// Input: float32 images (N, 1, 28, 28), pixels in [0, 1]. Output: logits (N, numClasses).
/// State names: <c>layers.conv1.weight</c> … <c>layers.conv4.bias</c>, <c>layers.fc1.*</c>, <c>layers.fc2.*</c>.
/// </remarks>
public sealed class KolterMadryCnn : Module<Tensor, Tensor>, IConvolutionalFeatures
{
    /// <summary>The name under which <see cref="ModelZoo"/> and checkpoints know this architecture.</summary>
    public const string ArchitectureName = "kolter-madry-cnn";

    private readonly TorchSharp.Modules.Sequential layers;

    /// <summary>Creates the model with PyTorch's default initialization (uses the global seed, <c>torch.manual_seed</c>).</summary>
    /// <param name="numClasses">Number of output logits; at least 2.</param>
    public KolterMadryCnn(int numClasses = 10) : base(ModelArguments.Prepare(nameof(KolterMadryCnn)))
    {
        NumClasses = ModelArguments.CheckNumClasses(numClasses);
        layers = Sequential(
            ("conv1", Conv2d(1, 32, 3, padding: 1)),
            ("relu1", ReLU()),
            ("conv2", Conv2d(32, 32, 3, stride: 2, padding: 1)),
            ("relu2", ReLU()),
            ("conv3", Conv2d(32, 64, 3, padding: 1)),
            ("relu3", ReLU()),
            ("conv4", Conv2d(64, 64, 3, stride: 2, padding: 1)),
            ("relu4", ReLU()),
            ("flatten", Flatten()),
            ("fc1", Linear(7 * 7 * 64, 100)),
            ("relu5", ReLU()),
            ("fc2", Linear(100, numClasses)));
        RegisterComponents();
    }

    /// <summary>Number of classes, i.e. of output logits.</summary>
    public int NumClasses { get; }

    /// <summary>Computes the logits (N, <see cref="NumClasses"/>) of a batch of images.</summary>
    /// <exception cref="ArgumentException">The input is not a float32 batch (N, 1, 28, 28) on the model's device.</exception>
    public override Tensor forward(Tensor input)
    {
        ImageInput.Validate(input, this, acceptFlat: false);
        return layers.forward(input);
    }

    /// <summary>Name of the last layer of the convolutional part (its output is <see cref="Features"/>).</summary>
    public const string LastFeatureLayer = "relu4";

    /// <summary>
    /// The activations after the last convolution and its ReLU (<c>relu4</c>), (N, 64, 7, 7): the layers of
    /// <see cref="forward"/> up to <see cref="LastFeatureLayer"/>. <c>Classify(Features(x))</c> equals <c>forward(x)</c>.
    /// </summary>
    public Tensor Features(Tensor input)
    {
        ImageInput.Validate(input, this, acceptFlat: false);
        return RunLayers(input, fromStart: true);
    }

    /// <summary>The logits from <see cref="Features"/>' output: the layers after <see cref="LastFeatureLayer"/>.</summary>
    public Tensor Classify(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.ndim != 4 || features.shape[1] != 64 || features.shape[2] != 7 || features.shape[3] != 7)
            throw new ArgumentException($"Classify expects the output of Features, shaped (N, 64, 7, 7); got ({string.Join(", ", features.shape)}).", nameof(features));
        return RunLayers(features, fromStart: false);
    }

    /// <summary>Runs the layers up to and including <see cref="LastFeatureLayer"/> (fromStart) or those after it.</summary>
    private Tensor RunLayers(Tensor x, bool fromStart)
    {
        bool inFeatures = true;
        foreach (var (name, layer) in layers.named_children())
        {
            if (inFeatures == fromStart) x = ((Module<Tensor, Tensor>)layer).forward(x);
            if (name == LastFeatureLayer) inFeatures = false;
        }
        return x;
    }
}
