using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// The step of FAB (<see cref="FabTargeted"/>): the smallest perturbation d (in L∞ or L2) that moves each point p onto a
/// hyperplane, w·d = c, while p + d stays in the input box [0, 1]. Rows are independent problems.
/// </summary>
/// <remarks>
/// Both problems reduce to one increasing, piecewise-linear function of a scalar: with c' = |c| and w' = sign(c)·w,
/// the reachable w'·d is h(λ) = Σᵢ aᵢ·min(λ, bᵢ), where bᵢ is the room of coordinate i in the direction of w'ᵢ (1 − pᵢ or
/// pᵢ) — under L∞ with aᵢ = |w'ᵢ| and λ the radius r (dᵢ = sign(w'ᵢ)·min(r, roomᵢ)), under L2 with aᵢ = w'ᵢ², bᵢ = roomᵢ/|w'ᵢ|
/// (dᵢ = clamp(λw'ᵢ) by the KKT conditions). Sorting the breakpoints bᵢ gives h at each of them by cumulative sums, and
/// the λ with h(λ) = c' exactly by linear interpolation — the same minimisers as the reference code's sorting algorithm
/// (fra31/auto-attack, fab_projections.py), written as one routine for both norms. When no point of the box reaches the
/// hyperplane the farthest reachable d is returned.
/// </remarks>
public static class HyperplaneProjection
{
    /// <summary>Minimal-L∞ d with w·d = c and 0 ≤ p + d ≤ 1, per row.</summary>
    /// <param name="points">p, (B, D) in [0, 1].</param>
    /// <param name="w">Normals (B, D).</param>
    /// <param name="c">Right-hand sides (B).</param>
    public static Tensor LInf(Tensor points, Tensor w, Tensor c)
    {
        var (direction, target, room) = Orient(points, w, c);
        var radius = Solve(direction.abs(), room, target).unsqueeze(1);
        return direction.sign() * minimum(radius, room);
    }

    /// <summary>Minimal-L2 d with w·d = c and 0 ≤ p + d ≤ 1, per row.</summary>
    /// <param name="points">p, (B, D) in [0, 1].</param>
    /// <param name="w">Normals (B, D).</param>
    /// <param name="c">Right-hand sides (B).</param>
    public static Tensor L2(Tensor points, Tensor w, Tensor c)
    {
        var (direction, target, room) = Orient(points, w, c);
        var magnitude = direction.abs();
        var nonzero = magnitude.gt(0);
        var breakpoints = where(nonzero, room / magnitude.clamp_min(1e-30), zeros_like(room));
        var lambda = Solve(magnitude.pow(2), breakpoints, target).unsqueeze(1);
        return direction.sign() * minimum(lambda * magnitude, room);
    }

    /// <summary>The smallest λ ≥ 0 with Σᵢ aᵢ·min(λ, bᵢ) ≥ target per row (aᵢ, bᵢ ≥ 0), or max bᵢ when unreachable.</summary>
    private static Tensor Solve(Tensor a, Tensor b, Tensor target)
    {
        var (sortedB, order) = b.sort(1);
        var sortedA = a.gather(1, order);
        var saturated = (sortedA * sortedB).cumsum(1);     // Σ_{j≤k} a_j b_j
        var weight = sortedA.cumsum(1);                      // Σ_{j≤k} a_j
        var total = weight.select(1, -1).unsqueeze(1);
        var atBreakpoint = saturated + sortedB * (total - weight);   // h(b_(k))
        // k*: how many breakpoints lie below the solution; λ lies in [b_(k*−1), b_(k*)].
        var below = atBreakpoint.lt(target.unsqueeze(1)).sum(1);
        long d = b.shape[1];
        var previous = (below - 1).clamp_min(0).unsqueeze(1);
        var hasPrevious = below.gt(0);
        var saturatedBefore = where(hasPrevious, saturated.gather(1, previous).squeeze(1), zeros_like(target));
        var weightBefore = where(hasPrevious, weight.gather(1, previous).squeeze(1), zeros_like(target));
        var free = (total.squeeze(1) - weightBefore).clamp_min(1e-30);
        var lambda = (target - saturatedBefore) / free;
        var unreachable = below.ge(d);
        return where(unreachable, sortedB.select(1, -1), lambda.clamp_min(0));
    }

    /// <summary>Turns w·d = c into w'·d = c' with c' ≥ 0, and gives each coordinate's room in the direction of w'.</summary>
    private static (Tensor Direction, Tensor Target, Tensor Room) Orient(Tensor points, Tensor w, Tensor c)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(c);
        if (points.ndim != 2 || !points.shape.SequenceEqual(w.shape) || c.ndim != 1 || c.shape[0] != points.shape[0])
            throw new ArgumentException($"Expected points and w shaped (B, D) and c shaped (B); got {Guard.Shape(points)}, {Guard.Shape(w)}, {Guard.Shape(c)}.");
        var sign = where(c.ge(0), ones_like(c), -ones_like(c));
        var direction = w * sign.unsqueeze(1);
        var room = where(direction.gt(0), 1 - points, where(direction.lt(0), points, zeros_like(points))).clamp_min(0);
        return (direction, c.abs(), room);
    }
}
