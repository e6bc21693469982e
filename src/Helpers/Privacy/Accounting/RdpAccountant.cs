namespace ModelSecurity.Privacy.Accounting;

/// <summary>
/// Rényi-DP accountant for DP-SGD (Abadi et al. 2016's moments accountant in the RDP form of Mironov 2017), with
/// the RDP of the Poisson-subsampled Gaussian mechanism from <see cref="SubsampledGaussianRdp"/>, summed over the
/// history and converted to (ε, δ) at the best of a list of orders — the same computation as Opacus's
/// <c>RDPAccountant</c> and TensorFlow Privacy's <c>compute_rdp</c> / <c>get_privacy_spent</c>.
/// </summary>
/// <remarks>
/// The bound is valid but not tight: <see cref="PldAccountant"/> gives a smaller ε for the same history. The best
/// order should lie strictly inside the list of orders; if it is the first or last, a wider list could give a
/// smaller ε.
/// </remarks>
public sealed class RdpAccountant : PrivacyAccountant
{
    private int _cachedVersion = -1;
    private double[] _cachedRdp = [];

    /// <summary>Opacus's default orders: 1.1, 1.2, …, 10.9 and 12, 13, …, 63.</summary>
    public static IReadOnlyList<double> DefaultOrders { get; } =
        [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(12, 52).Select(x => (double)x)];

    /// <summary>Creates an accountant.</summary>
    /// <param name="orders">RDP orders α &gt; 1 to optimise over; default <see cref="DefaultOrders"/>.</param>
    /// <param name="conversion">RDP → (ε, δ) conversion; default the tighter <see cref="RdpConversion.Balle2020"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An order ≤ 1.</exception>
    /// <exception cref="ArgumentException">An empty list of orders.</exception>
    public RdpAccountant(IEnumerable<double>? orders = null, RdpConversion conversion = RdpConversion.Balle2020)
    {
        Orders = orders is null ? DefaultOrders : [.. orders];
        if (Orders.Count == 0) throw new ArgumentException("at least one RDP order is needed.", nameof(orders));
        foreach (var a in Orders) SubsampledGaussianRdp.CheckOrder(a);
        RdpToDp.CheckConversion(conversion);
        Conversion = conversion;
    }

    /// <inheritdoc />
    public override string Mechanism => "rdp";

    /// <summary>The RDP orders α.</summary>
    public IReadOnlyList<double> Orders { get; }

    /// <summary>The RDP → (ε, δ) conversion used by <see cref="GetEpsilon"/> and <see cref="GetDelta"/>.</summary>
    public RdpConversion Conversion { get; }

    /// <summary>The RDP of the whole history at each of <see cref="Orders"/> (a copy).</summary>
    public double[] GetRdp() => (double[])Rdp().Clone();

    /// <summary>ε at δ and the order that gave it (ε = 0 and order NaN for an empty history).</summary>
    /// <exception cref="ArgumentOutOfRangeException">δ outside (0, 1).</exception>
    public RdpPrivacySpent GetPrivacySpent(double delta)
    {
        Guard.Delta(delta);
        if (History.Count == 0) return new RdpPrivacySpent(0, delta, double.NaN);
        return RdpToDp.Epsilon(Orders, Rdp(), delta, Conversion);
    }

    /// <inheritdoc />
    public override double GetEpsilon(double delta) => GetPrivacySpent(delta).Epsilon;

    /// <inheritdoc />
    public override double GetDelta(double epsilon)
    {
        Guard.NonNegative(epsilon, nameof(epsilon));
        if (History.Count == 0) return 0;
        return RdpToDp.Delta(Orders, Rdp(), epsilon, Conversion).Delta;
    }

    private double[] Rdp()
    {
        if (_cachedVersion == Version) return _cachedRdp;
        var total = new double[Orders.Count];
        foreach (var segment in History)
        {
            var rdp = SubsampledGaussianRdp.Compute(segment.SampleRate, segment.NoiseMultiplier, segment.Steps, Orders);
            for (var i = 0; i < total.Length; i++) total[i] += rdp[i];
        }
        _cachedRdp = total;
        _cachedVersion = Version;
        return total;
    }
}
