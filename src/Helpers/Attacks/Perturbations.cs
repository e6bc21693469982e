using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>Norms, projections and steepest-ascent steps on batches of perturbations (one per example).</summary>
public static class Perturbations
{
    private const double Tiny = 1e-12;

    /// <summary>Per-example norm of a batch (N, …) → (N).</summary>
    public static Tensor Norms(Tensor delta, Norm norm) => norm switch
    {
        Norm.LInf => delta.flatten(1).abs().amax(new long[] { 1 }),
        Norm.L2 => delta.flatten(1).norm(1, p: 2),
        _ => throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2."),
    };

    /// <summary>Projects each example's perturbation onto the ε-ball of <paramref name="norm"/>.</summary>
    public static Tensor Project(Tensor delta, double epsilon, Norm norm)
    {
        Guard.Epsilon(epsilon);
        switch (norm)
        {
            case Norm.LInf:
                return delta.clamp(-epsilon, epsilon);
            case Norm.L2:
                var norms = Norms(delta, Norm.L2).clamp_min(Tiny);
                var factor = (epsilon / norms).clamp_max(1.0);
                return delta * ViewPerExample(factor, delta);
            default:
                throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        }
    }

    /// <summary>
    /// The valid point nearest to <paramref name="candidate"/> within the ε-ball around <paramref name="origin"/>:
    /// clamp(origin + Π_ball(candidate − origin), min, max). Under L∞ this is the exact projection onto the intersection
    /// of the ball and the input box; every attack step of the course (PGD, APGD, TRADES) ends with it.
    /// </summary>
    public static Tensor ProjectOntoBall(Tensor origin, Tensor candidate, double epsilon, Norm norm, double min = 0, double max = 1) =>
        (origin + Project(candidate - origin, epsilon, norm)).clamp(min, max);

    /// <summary>
    /// The steepest-ascent direction of unit norm for a gradient: its sign under L∞,
    /// the gradient divided by its length under L2.
    /// </summary>
    public static Tensor SteepestAscent(Tensor gradient, Norm norm) => norm switch
    {
        Norm.LInf => gradient.sign(),
        Norm.L2 => gradient / ViewPerExample(Norms(gradient, Norm.L2).clamp_min(Tiny), gradient),
        _ => throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2."),
    };

    /// <summary>A random perturbation inside the ε-ball: uniform per pixel (L∞), or a random direction with a uniform radius (L2).</summary>
    public static Tensor RandomStart(Tensor like, double epsilon, Norm norm, Generator? generator = null)
    {
        switch (norm)
        {
            case Norm.LInf:
                return (rand(like.shape, dtype: like.dtype, device: like.device, generator: generator) * 2 - 1) * epsilon;
            case Norm.L2:
                var direction = SteepestAscent(randn(like.shape, dtype: like.dtype, device: like.device, generator: generator), Norm.L2);
                var radius = rand(new long[] { like.shape[0] }, dtype: like.dtype, device: like.device, generator: generator) * epsilon;
                return direction * ViewPerExample(radius, like);
            default:
                throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown norm; use Norm.LInf or Norm.L2.");
        }
    }

    /// <summary>Reshapes a per-example vector (N) so it broadcasts over <paramref name="like"/> (N, …).</summary>
    public static Tensor ViewPerExample(Tensor perExample, Tensor like)
    {
        var shape = new long[like.ndim];
        Array.Fill(shape, 1L);
        shape[0] = like.shape[0];
        return perExample.view(shape);
    }
}
