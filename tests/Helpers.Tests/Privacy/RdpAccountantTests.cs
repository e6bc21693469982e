using ModelSecurity.Privacy.Accounting;
using ModelSecurity.Privacy.Mechanisms;
using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Tests.Privacy;

public class RdpAccountantTests
{
    /// <summary>TensorFlow Privacy's compute_dp_sgd_privacy orders (compute_dp_sgd_privacy_lib.py).</summary>
    private static readonly double[] TfOrders =
        [1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5, .. Enumerable.Range(5, 59).Select(x => (double)x), 128, 256, 512];

    private static RdpAccountant Run(double sigma, double q, int steps, IEnumerable<double>? orders = null,
        RdpConversion conversion = RdpConversion.Balle2020)
    {
        var accountant = new RdpAccountant(orders, conversion);
        accountant.Step(sigma, q, steps);
        return accountant;
    }

    // pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: σ = 1.5, q = 0.04,
    // steps = int(90 / 0.04), one step() call per step, default orders, δ = 1e-5 → 7.32911117143.
    [Fact]
    public void OpacusRdpAccountantTest()
    {
        var accountant = new RdpAccountant();
        for (var i = 0; i < 2250; i++) accountant.Step(noiseMultiplier: 1.5, sampleRate: 0.04);
        Assert.Single(accountant.History); // equal consecutive steps merge into one segment
        Assert.Equal(new AccountingSegment(1.5, 0.04, 2250), accountant.History[0]);
        Assert.Equal(2250, accountant.TotalSteps);
        Assert.Equal("rdp", accountant.Mechanism);
        Assert.Equal(7.32911117143, accountant.GetEpsilon(1e-5), 7);
        Assert.Equal(3.9, accountant.GetPrivacySpent(1e-5).Order, 12);
    }

    // tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
    // test_compute_dp_sgd_privacy (n, batch size, σ, epochs, δ, ε, order); q = batch/n, steps = ⌈epochs·n/batch⌉,
    // orders of compute_dp_sgd_privacy_lib.py, Balle et al. 2020 conversion (since commit be8175b, Dec 2020).
    // Test2 changed in its 12th significant digit when dp_accounting started summing |terms| for fractional orders
    // (commit 8b3d8e1: 5907982.31138195 before, 5907982.3113984 after); this class keeps TF Privacy's signed
    // series, hence a relative tolerance of 1e-9.
    [Theory]
    [InlineData(60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0)]
    [InlineData(100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13.0)]
    [InlineData(100000000, 1024, 0.1, 10, 1e-7, 5907982.3113984, 1.25)]
    public void TensorFlowPrivacyComputeDpSgdPrivacy(int n, int batch, double sigma, int epochs, double delta, double expected, double order)
    {
        var steps = (int)Math.Ceiling(epochs * (double)n / batch);
        var spent = Run(sigma, (double)batch / n, steps, TfOrders).GetPrivacySpent(delta);
        Assert.True(Math.Abs(spent.Epsilon - expected) <= 1e-9 * expected, $"ε = {spent.Epsilon:R}, expected {expected:R}");
        Assert.Equal(order, spent.Order);
    }

    // The same three settings with the classic conversion, as that test file stated them before Dec 2020
    // (tensorflow/privacy commit 2007aac, compute_dp_sgd_privacy_test.py): 0.941870567, 1.70928734, 5907984.81339406.
    [Theory]
    [InlineData(60000, 150, 1.3, 15, 1e-5, 0.941870567, 19.0)]
    [InlineData(100000, 100, 1.0, 30, 1e-7, 1.70928734, 13.0)]
    [InlineData(100000000, 1024, 0.1, 10, 1e-7, 5907984.81339406, 1.25)]
    public void TensorFlowPrivacyClassicConversion(int n, int batch, double sigma, int epochs, double delta, double expected, double order)
    {
        var steps = (int)Math.Ceiling(epochs * (double)n / batch);
        var spent = Run(sigma, (double)batch / n, steps, TfOrders, RdpConversion.Classic).GetPrivacySpent(delta);
        Assert.True(Math.Abs(spent.Epsilon - expected) <= 1e-8 * expected, $"ε = {spent.Epsilon:R}, expected {expected:R}");
        Assert.Equal(order, spent.Order);
    }

    // σ = 4, q = 0.01, 10 000 steps, orders 2..32, δ = 1e-5. Not a published test value: 1.2585747412527164
    // (order 20) is what Opacus's opacus/accountants/analysis/rdp.py compute_rdp gives with the classic formula
    // min(rdp − log δ/(α − 1)); its get_privacy_spent (tighter conversion) gives 1.0354900660362476 (order 17).
    [Fact]
    public void SigmaFourHundredthSampleRateTenThousandSteps()
    {
        var orders = Enumerable.Range(2, 31).Select(x => (double)x).ToArray();
        var classic = Run(4, 0.01, 10_000, orders, RdpConversion.Classic).GetPrivacySpent(1e-5);
        Assert.Equal(1.2585747412527164, classic.Epsilon, 10);
        Assert.Equal(20, classic.Order);
        var tight = Run(4, 0.01, 10_000, orders).GetPrivacySpent(1e-5);
        Assert.Equal(1.0354900660362476, tight.Epsilon, 10);
        Assert.Equal(17, tight.Order);
    }

    // tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py (last version before its
    // removal in 2023): test_compute_rdp_scalar, test_compute_rdp_sequence, test_compute_rdp_no_sampling.
    [Fact]
    public void TensorFlowPrivacyComputeRdpValues()
    {
        Assert.Equal(0.07737, SubsampledGaussianRdp.Compute(0.1, 2, 10, [5.0])[0], 5);

        double[] orders = [1.5, 2.5, 5, 50, 100, double.PositiveInfinity];
        double[] expected = [6.5007e-04, 1.0854e-03, 2.1808e-03, 2.3846e-02, 1.6742e+02, double.PositiveInfinity];
        var rdp = SubsampledGaussianRdp.Compute(0.01, 2.5, 50, orders);
        for (var i = 0; i < orders.Length; i++)
        {
            if (double.IsPositiveInfinity(expected[i])) Assert.Equal(double.PositiveInfinity, rdp[i]);
            else Assert.True(Math.Abs(rdp[i] - expected[i]) <= 1e-4 * expected[i], $"RDP({orders[i]}) = {rdp[i]:R}, expected {expected[i]}");
        }

        Assert.Equal(0.1, SubsampledGaussianRdp.Compute(1.0, 10, 1, [20.0])[0], 15);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(7.5)]
    [InlineData(32.0)]
    public void FullBatchIsThePlainGaussianClosedForm(double alpha)
    {
        // q = 1: RDP(α) = α / (2σ²) per step.
        Assert.Equal(alpha / (2 * 1.7 * 1.7), SubsampledGaussianRdp.Compute(1.0, 1.7, alpha), 14);
        Assert.Equal(300 * alpha / (2 * 1.7 * 1.7), SubsampledGaussianRdp.Compute(1.0, 1.7, 300, [alpha])[0], 10);
    }

    // TF Privacy's test_compute_log_a_equals_mp compares log A_α with an mpmath integral. Here the integral
    // A_α = E_{z∼N(0,σ²)}[(1 − q + q e^{(2z−1)/(2σ²)})^α] is taken by the trapezoid rule in double precision,
    // independently of the series, at integer and fractional orders.
    [Theory]
    [InlineData(0.01, 1.0, 2.0)]
    [InlineData(0.01, 1.0, 1.5)]
    [InlineData(0.1, 2.0, 20.5)]
    [InlineData(0.001, 0.8, 7.0)]
    [InlineData(0.3, 1.2, 3.25)]
    [InlineData(0.04, 1.5, 3.9)]
    public void RdpMatchesNumericalIntegration(double q, double sigma, double alpha)
    {
        // A_α − 1 = E[(1 + q (e^t − 1))^α − 1], t = (2z − 1)/(2σ²), summed as small numbers to keep precision.
        double integral = 0, dz = 1e-4 * sigma;
        for (var z = -40 * sigma; z <= 40 * sigma + 2; z += dz)
        {
            var density = Math.Exp(-z * z / (2 * sigma * sigma)) / (sigma * Math.Sqrt(2 * Math.PI));
            if (density == 0) continue;
            var t = (2 * z - 1) / (2 * sigma * sigma);
            integral += density * LogSpace.ExpM1(alpha * LogSpace.Log1P(q * LogSpace.ExpM1(t))) * dz;
        }
        var expected = LogSpace.Log1P(integral) / (alpha - 1);
        var actual = SubsampledGaussianRdp.Compute(q, sigma, alpha);
        Assert.True(Math.Abs(actual - expected) <= 1e-7 * expected, $"RDP = {actual:R}, integral gives {expected:R}");
    }

    // tensorflow/privacy rdp_accountant_test.py, test_check_composition: two segments, classic conversion,
    // ε = 8.509656 at order 2.5 ("These tests use the old RDP -> approx DP conversion"); the tighter conversion
    // must stay below it.
    [Fact]
    public void TensorFlowPrivacyHeterogeneousComposition()
    {
        double[] orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
        var classic = new RdpAccountant(orders, RdpConversion.Classic);
        classic.Step(0.4, 1e-4, 40_000);
        classic.Step(2, 0.1, 100);
        Assert.Equal(2, classic.History.Count);
        var spent = classic.GetPrivacySpent(1e-5);
        Assert.Equal(8.509656, spent.Epsilon, 5);
        Assert.Equal(2.5, spent.Order);

        var tight = new RdpAccountant(orders);
        tight.Step(0.4, 1e-4, 40_000);
        tight.Step(2, 0.1, 100);
        Assert.True(tight.GetEpsilon(1e-5) <= 8.509656);
    }

    // pytorch/opacus, opacus/accountants/analysis/rdp.py module docstring: parameters
    // [(q, σ, steps)] = [(1e-5, 1.0, 10), (1e-4, 3.0, 4)], orders 2..32, δ = 1e-5 → (0.336, 23).
    [Fact]
    public void OpacusDocstringExample()
    {
        var accountant = new RdpAccountant(Enumerable.Range(2, 31).Select(x => (double)x));
        accountant.Step(1.0, 1e-5, 10);
        accountant.Step(3.0, 1e-4, 4);
        var spent = accountant.GetPrivacySpent(1e-5);
        Assert.Equal(0.336, spent.Epsilon, 3);
        Assert.Equal(23, spent.Order);
    }

    // tensorflow/privacy compute_dp_sgd_privacy_test.py, ('no_microbatching_with_subsampling_rdp', …, 3.2392676)
    // and the privacy statement "Epsilon assuming Poisson sampling (*): 1.616" (σ = 2.0 halved for
    // microbatching, q = 64/10000, ⌈5/q⌉ = 782 steps, δ = 1e-6), both from dp_accounting's RdpAccountant with its
    // default orders. dp_accounting bounds fractional orders by |terms| (slightly larger): 3.2391922 here.
    [Theory]
    [InlineData(0.7, 0.01, 120, 1e-5, 3.2392676, 1e-4)]
    [InlineData(1.0, 0.0064, 782, 1e-6, 1.616, 5e-4)] // printed with three decimals
    public void DpAccountingRdpValuesAreMatched(double sigma, double q, int steps, double delta, double reference, double tolerance)
    {
        double[] orders = [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(11, 53).Select(x => (double)x), 128, 256, 512, 1024];
        var epsilon = Run(sigma, q, steps, orders).GetEpsilon(delta);
        Assert.InRange(epsilon, reference - tolerance, reference + tolerance);
    }

    // dp_accounting rdp_privacy_accountant_test.py test_compute_epsilon_delta_pure_dp (and TF Privacy's
    // test_get_privacy_spent_check_target_delta): constant RDP 1.1 at orders 2..32 → ε = 1.32783806176 at order 32.
    [Fact]
    public void ConstantRdpCurveConvertsAtTheLargestOrder()
    {
        var orders = Enumerable.Range(2, 31).Select(x => (double)x).ToArray();
        var rdp = orders.Select(_ => 1.1).ToArray();
        var spent = RdpToDp.Epsilon(orders, rdp, 1e-5);
        Assert.Equal(1.32783806176, spent.Epsilon, 10);
        Assert.Equal(32, spent.Order);
        var back = RdpToDp.Delta(orders, rdp, 1.32783806176);
        Assert.Equal(1e-5, back.Delta, 12);
        Assert.Equal(32, back.Order);
    }

    // TF Privacy / dp_accounting test_get_privacy_spent_check_target_delta/_eps (second part): σ = 4.530877117 is
    // chosen so that a Gaussian (q = 1) is (1, 1e-6)-DP by the RDP conversion over a fine grid of orders
    // (0.001 steps; TF starts the grid at 1.0, which the conversion skips anyway). The exact δ (Balle & Wang) is
    // smaller: RDP is an upper bound, here about 4.6 times too pessimistic in δ.
    [Fact]
    public void FineOrdersRecoverTheExactGaussianGuarantee()
    {
        var orders = Enumerable.Range(1001, 98999).Select(i => 0.001 * i).ToArray();
        var accountant = new RdpAccountant(orders);
        accountant.Step(4.530877117, 1.0);
        Assert.Equal(1.0, accountant.GetEpsilon(1e-6), 7);
        Assert.Equal(1e-6, accountant.GetDelta(1.0), 1e-10);
        var exact = GaussianCalibration.Delta(1.0, 4.530877117);
        Assert.InRange(exact, 2e-7, 2.3e-7);
    }

    // TF Privacy / dp_accounting test_get_privacy_spent_gaussian (delta bounds): for σ = 1, q = 1, the RDP δ lies
    // between the exact Gaussian δ (Balle & Wang 2018) and the standard bound exp(−(ε − ½)²/2).
    [Fact]
    public void RdpDeltaIsBetweenTheExactGaussianDeltaAndTheStandardBound()
    {
        var orders = Enumerable.Range(11, 494).Select(x => 0.1 * x).ToArray();
        var rdp = SubsampledGaussianRdp.Compute(1.0, 1.0, 1, orders);
        for (var i = 0; i < 500; i++)
        {
            var eps = 0.1 * i;
            var delta = RdpToDp.Delta(orders, rdp, eps).Delta;
            Assert.True(GaussianCalibration.Delta(eps, 1.0) <= delta + 1e-300, $"ε = {eps}: RDP δ {delta:R} below the exact δ");
            var standard = eps >= 0.5 ? Math.Exp(-0.5 * (eps - 0.5) * (eps - 0.5)) : 1;
            Assert.True(delta <= standard + 1e-300, $"ε = {eps}: RDP δ {delta:R} above the standard bound {standard:R}");
        }
    }

    [Fact]
    public void TheTighterConversionNeverExceedsTheClassicOne()
    {
        foreach (var (sigma, q, steps) in new[] { (0.8, 0.01, 1000), (1.1, 0.004, 5000), (2.0, 0.1, 300), (5.0, 1.0, 10) })
        foreach (var delta in new[] { 1e-3, 1e-5, 1e-9 })
        {
            var tight = Run(sigma, q, steps).GetEpsilon(delta);
            var classic = Run(sigma, q, steps, conversion: RdpConversion.Classic).GetEpsilon(delta);
            Assert.True(tight <= classic, $"σ={sigma} q={q} T={steps} δ={delta}: {tight} > {classic}");
        }
    }

    [Fact]
    public void EpsilonGrowsWithStepsAndShrinksWithNoise()
    {
        var previous = 0.0;
        foreach (var steps in new[] { 1, 10, 100, 1000, 10_000 })
        {
            var eps = Run(1.0, 0.01, steps).GetEpsilon(1e-5);
            Assert.True(eps > previous, $"{steps} steps: ε = {eps} not above {previous}");
            previous = eps;
        }
        previous = double.PositiveInfinity;
        foreach (var sigma in new[] { 0.5, 0.8, 1.0, 2.0, 4.0, 10.0 })
        {
            var eps = Run(sigma, 0.01, 1000).GetEpsilon(1e-5);
            Assert.True(eps < previous, $"σ = {sigma}: ε = {eps} not below {previous}");
            previous = eps;
        }
    }

    [Fact]
    public void EmptyHistoryHasSpentNothingAndResetForgets()
    {
        var accountant = new RdpAccountant();
        Assert.Equal(0, accountant.GetEpsilon(1e-5));
        Assert.Equal(0, accountant.GetDelta(1.0));
        accountant.Step(1.0, 0.01, 100);
        Assert.True(accountant.GetEpsilon(1e-5) > 0);
        accountant.Reset();
        Assert.Empty(accountant.History);
        Assert.Equal(0, accountant.GetEpsilon(1e-5));
    }

    [Fact]
    public void StepsInOneCallEqualStepsOneByOneAndSegmentsAdd()
    {
        var once = Run(1.2, 0.02, 50);
        var oneByOne = new RdpAccountant();
        for (var i = 0; i < 50; i++) oneByOne.Step(1.2, 0.02);
        Assert.Equal(once.GetEpsilon(1e-6), oneByOne.GetEpsilon(1e-6), 1e-12);

        var split = new RdpAccountant();
        split.Step(1.2, 0.02, 20);
        split.Step(0.9, 0.02, 5);
        split.Step(1.2, 0.02, 30);
        Assert.Equal(3, split.History.Count);
        var rdp = split.GetRdp();
        var expected = Run(1.2, 0.02, 50).GetRdp().Zip(Run(0.9, 0.02, 5).GetRdp(), (a, b) => a + b).ToArray();
        for (var i = 0; i < rdp.Length; i++) Assert.Equal(expected[i], rdp[i], 1e-12 * expected[i]);
    }
}
