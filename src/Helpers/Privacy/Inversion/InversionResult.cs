using static TorchSharp.torch;

namespace ModelSecurity.Privacy.Inversion;

/// <summary>What <see cref="ModelInversion.Reconstruct"/> found: one image per requested class.</summary>
/// <param name="Classes">The target classes, in order.</param>
/// <param name="Images">The reconstructions (K, C, H, W) in [0, 1], on the CPU; owned by the caller.</param>
/// <param name="InitialLogits">Each target class's logit on the start image.</param>
/// <param name="FinalLogits">Each target class's logit on its reconstruction.</param>
/// <param name="FinalProbabilities">Each target class's softmax probability on its reconstruction.</param>
public sealed record InversionResult(
    IReadOnlyList<int> Classes, Tensor Images, IReadOnlyList<double> InitialLogits, IReadOnlyList<double> FinalLogits, IReadOnlyList<double> FinalProbabilities);
