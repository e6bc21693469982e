using static TorchSharp.torch;

namespace ModelSecurity.Defenses;

/// <summary>
/// A gradient-masking "defence" for teaching: rounds every input pixel to one of <see cref="Levels"/> + 1 grey levels
/// before the wrapped classifier sees it (bit-depth reduction, as in Xu et al.'s feature squeezing, 2018). Its decisions
/// are almost those of the wrapped model, but rounding has a zero derivative almost everywhere, so every input gradient
/// is exactly 0 and gradient attacks (FGSM, PGD, APGD) cannot move: an obfuscated gradient of the "shattered" kind
/// (Athalye, Carlini &amp; Wagner, ICML 2018). A gradient-free attack (Square) or BPDA — the wrapped model's gradient
/// used as if the rounding were the identity — breaks it as easily as the wrapped model.
/// </summary>
/// <remarks>
/// The wrapped model is a registered submodule (its parameters are the wrapper's, so attacks freeze them and
/// <c>eval()</c> reaches it); disposing the wrapper therefore disposes it too — do not dispose a wrapper of a model
/// that is still used elsewhere. The wrapper has no parameters of its own.
/// </remarks>
public sealed class QuantizedInput : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The classifier that sees the rounded images.</param>
    /// <param name="levels">Rounding steps of [0, 1]: 255 keeps 8-bit images as they are; 4 leaves 5 grey levels.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="levels"/> is below 1.</exception>
    public QuantizedInput(nn.Module<Tensor, Tensor> inner, int levels = 255) : base(nameof(QuantizedInput))
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (levels < 1)
            throw new ArgumentOutOfRangeException(nameof(levels), levels, $"levels must be at least 1 (255 for 8-bit images); got {levels}.");
        _inner = inner;
        Levels = levels;
        RegisterComponents();
    }

    /// <summary>Number of rounding steps of [0, 1].</summary>
    public int Levels { get; }

    /// <summary>The wrapped classifier (what BPDA differentiates instead).</summary>
    public nn.Module<Tensor, Tensor> Inner => _inner;

    /// <summary>The wrapped model's logits on the rounded images: round(x·L)/L.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var rounded = (input * Levels).round() / Levels;
        return scope.MoveToOuter(_inner.forward(rounded));
    }
}
