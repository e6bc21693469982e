using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// The step of FAB (<see cref="FabTargeted"/>): the smallest perturbation d (in L∞ or L2) that moves each point p onto a
/// hyperplane, w·d = c, while p + d stays in the input box [0, 1]. Rows are independent problems.
/// </summary>
/// <remarks>
/// The reference code (fra31/auto-attack, fab_projections.py) solves these exactly by sorting the coordinates. Here each
/// is solved by bisection on one scalar, which is simpler to check and exact to ~2⁻⁴⁰ of the box: under L∞ the largest
/// reachable w·d with ‖d‖∞ ≤ r is increasing in r, and under L2 the minimiser is d = clamp(λw, −p, 1 − p) (KKT) with
/// w·d increasing in λ. When no point of the box reaches the hyperplane the best reachable d is returned.
/// </remarks>
public static class HyperplaneProjection
{
    private const int BisectionSteps = 40;

    /// <summary>Minimal-L∞ d with w·d = c and 0 ≤ p + d ≤ 1, per row.</summary>
    /// <param name="points">p, (B, D) in [0, 1].</param>
    /// <param name="w">Normals (B, D).</param>
    /// <param name="c">Right-hand sides (B).</param>
    public static Tensor LInf(Tensor points, Tensor w, Tensor c)
    {
        var (direction, target, low, high) = Orient(points, w, c);
        Tensor Push(Tensor r)
        {
            var rr = r.unsqueeze(1);
            return where(direction.gt(0), minimum(rr, high), where(direction.lt(0), maximum(-rr, low), zeros_like(high)));
        }
        var lo = zeros_like(target);
        var hi = ones_like(target);
        for (int i = 0; i < BisectionSteps; i++)
        {
            var mid = (lo + hi) / 2;
            var enough = (direction * Push(mid)).sum(1).ge(target);
            hi = where(enough, mid, hi);
            lo = where(enough, lo, mid);
        }
        return Push(hi);
    }

    /// <summary>Minimal-L2 d with w·d = c and 0 ≤ p + d ≤ 1, per row.</summary>
    /// <param name="points">p, (B, D) in [0, 1].</param>
    /// <param name="w">Normals (B, D).</param>
    /// <param name="c">Right-hand sides (B).</param>
    public static Tensor L2(Tensor points, Tensor w, Tensor c)
    {
        var (direction, target, low, high) = Orient(points, w, c);
        Tensor Step(Tensor lambda) => (lambda.unsqueeze(1) * direction).clamp(low, high);
        Tensor Reached(Tensor lambda) => (direction * Step(lambda)).sum(1).ge(target);
        // Without the box λ = c/‖w‖² suffices; the box can only ask for more, so double until reached (or saturated).
        var hi = target / direction.pow(2).sum(1).clamp_min(1e-30);
        for (int i = 0; i < 64; i++)
        {
            var reached = Reached(hi);
            if (reached.all().item<bool>()) break;
            hi = where(reached, hi, hi * 2);
        }
        var lo = zeros_like(hi);
        for (int i = 0; i < BisectionSteps; i++)
        {
            var mid = (lo + hi) / 2;
            var enough = Reached(mid);
            hi = where(enough, mid, hi);
            lo = where(enough, lo, mid);
        }
        return Step(hi);
    }

    /// <summary>Turns w·d = c into w'·d = c' with c' ≥ 0, and gives the box of d: [−p, 1 − p].</summary>
    private static (Tensor Direction, Tensor Target, Tensor Low, Tensor High) Orient(Tensor points, Tensor w, Tensor c)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(c);
        if (points.ndim != 2 || !points.shape.SequenceEqual(w.shape) || c.ndim != 1 || c.shape[0] != points.shape[0])
            throw new ArgumentException($"Expected points and w shaped (B, D) and c shaped (B); got {Guard.Shape(points)}, {Guard.Shape(w)}, {Guard.Shape(c)}.");
        var sign = where(c.ge(0), ones_like(c), -ones_like(c));
        return (w * sign.unsqueeze(1), c.abs(), -points, 1 - points);
    }
}
