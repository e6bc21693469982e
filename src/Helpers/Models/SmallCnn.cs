using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// SmallCNN, the MNIST network of TRADES (Zhang et al., "Theoretically Principled Trade-off between Robustness and
/// Accuracy", ICML 2019; reference code: github.com/yaodongyu/TRADES, models/small_cnn.py).
/// </summary>
/// <remarks>
/// <para>
/// Layers, with the reference code's names: feature_extractor = conv1 Conv2d(1, 32, 3) relu1, conv2 Conv2d(32, 32, 3)
/// relu2, maxpool1 MaxPool2d(2, 2), conv3 Conv2d(32, 64, 3) relu3, conv4 Conv2d(64, 64, 3) relu4, maxpool2
/// MaxPool2d(2, 2); then flatten; classifier = fc1 Linear(64·4·4, 200) relu1, drop Dropout(0.5), fc2 Linear(200, 200)
/// relu2, fc3 Linear(200, classes). Unpadded 3×3 convolutions take 28 → 26 → 24, pooling → 12, → 10 → 8, pooling → 4.
/// State names match the reference code (<c>feature_extractor.conv1.weight</c>, <c>classifier.fc3.bias</c>, …).
/// </para>
/// <para>
/// Initialization also follows the reference code: convolution weights Kaiming-normal, convolution biases 0, and the
/// last layer (fc3) all zeros, so an untrained SmallCnn outputs zero logits. Training moves fc3 away from zero at
/// the first step. Dropout is active in training mode only: call <c>eval()</c> before evaluating or attacking.
/// </para>
/// Input: float32 images (N, 1, 28, 28), pixels in [0, 1]. Output: logits (N, numClasses).
/// </remarks>
public sealed class SmallCnn : Module<Tensor, Tensor>
{
    /// <summary>The name under which <see cref="ModelZoo"/> and checkpoints know this architecture.</summary>
    public const string ArchitectureName = "small-cnn";

    /// <summary>Dropout probability of the reference code.</summary>
    public const double DefaultDropout = 0.5;

    private readonly TorchSharp.Modules.Sequential feature_extractor;
    private readonly TorchSharp.Modules.Sequential classifier;

    /// <summary>Creates the model with the reference code's initialization (uses the global seed, <c>torch.manual_seed</c>).</summary>
    /// <param name="numClasses">Number of output logits; at least 2.</param>
    /// <param name="dropout">Dropout probability after fc1, in [0, 1).</param>
    public SmallCnn(int numClasses = 10, double dropout = DefaultDropout) : base(ModelArguments.Prepare(nameof(SmallCnn)))
    {
        NumClasses = ModelArguments.CheckNumClasses(numClasses);
        if (!(dropout >= 0 && dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout probability must be in [0, 1).");

        var conv1 = Conv2d(1, 32, 3);
        var conv2 = Conv2d(32, 32, 3);
        var conv3 = Conv2d(32, 64, 3);
        var conv4 = Conv2d(64, 64, 3);
        var fc3 = Linear(200, numClasses);
        feature_extractor = Sequential(
            ("conv1", conv1),
            ("relu1", ReLU()),
            ("conv2", conv2),
            ("relu2", ReLU()),
            ("maxpool1", MaxPool2d(2, 2)),
            ("conv3", conv3),
            ("relu3", ReLU()),
            ("conv4", conv4),
            ("relu4", ReLU()),
            ("maxpool2", MaxPool2d(2, 2)));
        classifier = Sequential(
            ("fc1", Linear(64 * 4 * 4, 200)),
            ("relu1", ReLU()),
            ("drop", Dropout(dropout)),
            ("fc2", Linear(200, 200)),
            ("relu2", ReLU()),
            ("fc3", fc3));
        RegisterComponents();

        using (no_grad())
        {
            foreach (var conv in new[] { conv1, conv2, conv3, conv4 })
            {
                init.kaiming_normal_(conv.weight!);
                init.zeros_(conv.bias!);
            }
            init.zeros_(fc3.weight!);
            init.zeros_(fc3.bias!);
        }
    }

    /// <summary>Number of classes, i.e. of output logits.</summary>
    public int NumClasses { get; }

    /// <summary>Computes the logits (N, <see cref="NumClasses"/>) of a batch of images.</summary>
    /// <exception cref="ArgumentException">The input is not a float32 batch (N, 1, 28, 28) on the model's device.</exception>
    public override Tensor forward(Tensor input)
    {
        ImageInput.Validate(input, this, acceptFlat: false);
        return classifier.forward(feature_extractor.forward(input).flatten(1));
    }
}
