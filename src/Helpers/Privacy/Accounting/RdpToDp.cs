using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Privacy.Accounting;

/// <summary>Conversions from a Rényi-DP curve to (ε, δ)-DP; see <see cref="RdpConversion"/>.</summary>
public static class RdpToDp
{
    /// <summary>The smallest ε over the orders at which the RDP curve gives (ε, δ)-DP.</summary>
    /// <param name="orders">RDP orders α &gt; 1 (+∞ allowed).</param>
    /// <param name="rdp">RDP(α) at each order (≥ 0; +∞ allowed).</param>
    /// <param name="delta">Target δ in (0, 1).</param>
    /// <param name="conversion">Which theorem converts.</param>
    /// <exception cref="ArgumentException">orders and rdp differ in length or are empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">δ outside (0, 1) or an order ≤ 1.</exception>
    public static RdpPrivacySpent Epsilon(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta,
        RdpConversion conversion = RdpConversion.Balle2020)
    {
        CheckCurve(orders, rdp);
        CheckConversion(conversion);
        Guard.Delta(delta);
        var logDelta = Math.Log(delta);
        double best = double.PositiveInfinity, bestOrder = double.NaN;
        for (var i = 0; i < orders.Count; i++)
        {
            double a = orders[i], r = Math.Max(0, rdp[i]);
            double eps;
            if (double.IsNaN(r) || double.IsPositiveInfinity(r)) eps = double.PositiveInfinity;
            else if (conversion == RdpConversion.Classic)
                eps = double.IsPositiveInfinity(a) ? r : r - logDelta / (a - 1);
            else if (delta * delta + LogSpace.ExpM1(-r) > 0) eps = 0; // δ ≥ √(1 − e^−KL) and KL ≤ RDP(α)
            else if (a > 1.01)
                eps = double.IsPositiveInfinity(a) ? r : r + LogSpace.Log1P(-1 / a) - (logDelta + Math.Log(a)) / (a - 1);
            else eps = double.PositiveInfinity;
            if (eps < best)
            {
                best = eps;
                bestOrder = a;
            }
        }
        return new RdpPrivacySpent(Math.Max(0, best), delta, bestOrder);
    }

    /// <summary>The smallest δ over the orders at which the RDP curve gives (ε, δ)-DP (capped at 1).</summary>
    /// <exception cref="ArgumentException">orders and rdp differ in length or are empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">ε not a finite number ≥ 0 or an order ≤ 1.</exception>
    public static RdpPrivacySpent Delta(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double epsilon,
        RdpConversion conversion = RdpConversion.Balle2020)
    {
        CheckCurve(orders, rdp);
        CheckConversion(conversion);
        Guard.NonNegative(epsilon, nameof(epsilon));
        double best = double.PositiveInfinity, bestOrder = double.NaN;
        for (var i = 0; i < orders.Count; i++)
        {
            double a = orders[i], r = Math.Max(0, rdp[i]);
            double logDelta;
            if (double.IsNaN(r) || double.IsPositiveInfinity(r) || double.IsPositiveInfinity(a)) logDelta = double.PositiveInfinity;
            else if (conversion == RdpConversion.Classic) logDelta = (a - 1) * (r - epsilon);
            else
            {
                logDelta = r == 0 ? double.NegativeInfinity : 0.5 * LogSpace.Log1P(-Math.Exp(-r));
                if (a > 1.01) logDelta = Math.Min(logDelta, (a - 1) * (r - epsilon + LogSpace.Log1P(-1 / a)) - Math.Log(a));
            }
            if (logDelta < best)
            {
                best = logDelta;
                bestOrder = a;
            }
        }
        return new RdpPrivacySpent(epsilon, Math.Min(Math.Exp(best), 1.0), bestOrder);
    }

    internal static void CheckConversion(RdpConversion conversion)
    {
        if (!Enum.IsDefined(conversion))
            throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "conversion must be RdpConversion.Classic or RdpConversion.Balle2020.");
    }

    private static void CheckCurve(IReadOnlyList<double> orders, IReadOnlyList<double> rdp)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(rdp);
        if (orders.Count == 0 || orders.Count != rdp.Count)
            throw new ArgumentException($"orders and rdp must be non-empty and of equal length; got {orders.Count} and {rdp.Count}.", nameof(rdp));
        foreach (var a in orders) SubsampledGaussianRdp.CheckOrder(a);
    }
}
