using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Fast Gradient Sign Method (Goodfellow, Shlens, Szegedy 2015): one step of size ε along the sign of the
/// input gradient of the loss, x' = clip(x + ε · sign(∇ₓ L(x, y))).
/// </summary>
public sealed class Fgsm : Attack
{
    /// <summary>Creates FGSM with L∞ budget <paramref name="epsilon"/>.</summary>
    public Fgsm(nn.Module<Tensor, Tensor> model, double epsilon)
        : base(model, $"FGSM ε={epsilon:G3}")
    {
        Epsilon = Guard.Epsilon(epsilon);
    }

    /// <summary>The L∞ budget.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted) =>
        images + Epsilon * InputGradient(images, labels, targeted).sign();
}
