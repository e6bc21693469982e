using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Basic Iterative Method / iterative FGSM (Kurakin, Goodfellow, Bengio 2017): FGSM steps of size α,
/// each followed by clipping to the L∞ ε-ball — PGD under L∞ without a random start.
/// </summary>
public sealed class Bim : Pgd
{
    /// <summary>Creates BIM; the default step size is ε/steps·1.25 (so the ball's surface is reachable).</summary>
    public Bim(nn.Module<Tensor, Tensor> model, double epsilon, int steps = 10, double? stepSize = null)
        : base(model, epsilon, stepSize ?? 1.25 * Guard.Epsilon(epsilon) / Math.Max(1, steps), steps, Norm.LInf,
               randomStart: false, restarts: 1, seed: null, family: "BIM")
    {
    }
}
