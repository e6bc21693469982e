using ModelSecurity.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Runtime;

/// <summary>The cases the convolution self-test runs: the known faulty dilated layers and every Conv2d of the model zoo.</summary>
public static class ConvolutionProbes
{
    /// <summary>Examples per probe: more than one, so that libtorch takes the batched (oneDNN) path the fault was seen in.</summary>
    public const long BatchSize = 4;

    /// <summary>Largest height and width of a zoo probe's input.</summary>
    public const long MaxSide = 12;

    /// <summary>
    /// The layers of issue 18, on which libtorch 2.10 (CPU, some AVX-512 hosts) returned wrong batched input gradients,
    /// plus strided and padded dilation.
    /// </summary>
    public static IReadOnlyList<ConvolutionProbe> Dilated { get; } =
    [
        new("dilated, issue 18", [5, 4, 7, 5], 5, [3, 2], [1, 2], [2, 1], [2, 1]),
        new("dilated 2, issue 18", [5, 4, 7, 5], 5, [3, 3], [1, 1], [2, 2], [2, 2]),
        new("dilated and strided", [BatchSize, 3, 11, 9], 4, [3, 3], [2, 2], [1, 2], [2, 3]),
    ];

    /// <summary>Every Conv2d of every zoo architecture, with the input shape it sees on a 28×28 image (batch <see cref="BatchSize"/>).</summary>
    public static IReadOnlyList<ConvolutionProbe> Zoo => ZooProbes.Value;

    /// <summary><see cref="Dilated"/> then <see cref="Zoo"/>.</summary>
    public static IReadOnlyList<ConvolutionProbe> All => [.. Dilated, .. Zoo];

    private static readonly Lazy<IReadOnlyList<ConvolutionProbe>> ZooProbes = new(FromZoo);

    internal static IReadOnlyList<ConvolutionProbe> FromZoo()
    {
        TorchRuntime.EnsureLoaded();
        var probes = new List<ConvolutionProbe>();
        // Building the models draws their initial weights from the global generator: put its state back afterwards, so
        // that the self-test does not change what a seeded experiment computes.
        using var rngState = get_rng_state();
        try
        {
            using var noGrad = no_grad();
            foreach (string architecture in ModelZoo.Architectures)
            {
                using var model = ModelZoo.Create(architecture);
                model.eval();
                var removers = new List<Action>();
                foreach (var (name, module) in model.named_modules())
                    if (module is Conv2d conv)
                        removers.Add(conv.register_forward_hook((_, input, output) =>
                        {
                            probes.Add(FromLayer($"{architecture} {name}", conv, input.shape));
                            return output;
                        }).remove);
                using var image = zeros(1, 1, 28, 28);
                using var logits = model.call(image);
                foreach (var remove in removers) remove();
            }
        }
        finally
        {
            set_rng_state(rngState);
        }
        return probes;
    }

    private static ConvolutionProbe FromLayer(string name, Conv2d conv, long[] inputShape)
    {
        if (conv.padding_type == TorchSharp.Padding.Same || conv.groups != 1 || conv.padding_mode != TorchSharp.PaddingModes.Zeros)
            throw new NotSupportedException($"Self-test: {name} uses padding or groups the probe does not model; add it to ConvolutionProbe.");
        long[] padding = conv.padding_type != TorchSharp.Padding.Valid && conv.padding is { Length: 2 } p ? p : [0, 0];
        // The channels, kernel, stride and padding select libtorch's kernel; the image is cut to at most 12×12 to keep the
        // self-test fast (the float64 reference and the per-example calls cost most).
        long[] shape = [BatchSize, inputShape[1], Math.Min(inputShape[2], MaxSide), Math.Min(inputShape[3], MaxSide)];
        return new ConvolutionProbe(name, shape, conv.out_channels, conv.kernel_size, conv.stride, padding, conv.dilation);
    }
}
