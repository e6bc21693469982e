using ModelSecurity.Privacy.Accounting;
using ModelSecurity.Privacy.Accounting.Pld;
using ModelSecurity.Privacy.Mechanisms;

namespace ModelSecurity.Tests.Privacy;

public class PldAccountantTests
{
    private static PldAccountant Run(double sigma, double q, int steps, double interval = PldAccountant.DefaultInterval)
    {
        var accountant = new PldAccountant(interval);
        accountant.Step(sigma, q, steps);
        return accountant;
    }

    private static double RdpEpsilon(double sigma, double q, int steps, double delta)
    {
        var accountant = new RdpAccountant();
        accountant.Step(sigma, q, steps);
        return accountant.GetEpsilon(delta);
    }

    // tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
    // test_compute_dp_sgd_example_privacy with accountant_type=PLD (dp_accounting's PLDAccountant, interval 1e-4,
    // connect-the-dots): num_epochs 1.2, σ = 0.7, δ = 1e-5; microbatching halves σ; Poisson sampling q = 0.01 takes
    // ⌈1.2/q⌉ = 120 steps, no sampling takes ⌈1.2⌉ = 2 full-batch steps.
    [Theory]
    [InlineData(0.7, 0.01, 120, 1e-5, 2.4612381)]   // no_microbatching_with_subsampling_pld
    [InlineData(0.35, 0.01, 120, 1e-5, 18.6977407)] // microbatching_with_subsampling_pld
    [InlineData(0.7, 1.0, 2, 1e-5, 10.1224946)]     // no_microbatching_no_subsampling_pld
    [InlineData(0.35, 1.0, 2, 1e-5, 24.7160779)]    // microbatching_no_subsampling_pld
    public void TensorFlowPrivacyPldValues(double sigma, double q, int steps, double delta, double expected)
    {
        var epsilon = Run(sigma, q, steps).GetEpsilon(delta);
        Assert.True(Math.Abs(epsilon - expected) <= 1e-6 * expected, $"ε = {epsilon:R}, dp_accounting gives {expected}");
        Assert.True(epsilon <= RdpEpsilon(sigma, q, steps, delta), "PLD must not be looser than RDP");
    }

    // Same file, test_dp_sgd_privacy_statement_no_user_dp_with_pld: 10 000 examples, batch 64, σ = 2.0 halved for
    // microbatching, 5 epochs → q = 0.0064, ⌈5/q⌉ = 782 steps, δ = 1e-6: "Epsilon assuming Poisson sampling: 1.199"
    // (the RDP statement says 1.616).
    [Fact]
    public void TensorFlowPrivacyStatementPld()
    {
        var epsilon = Run(1.0, 64 / 10000.0, 782).GetEpsilon(1e-6);
        Assert.Equal(1.199, epsilon, 3);
    }

    // pytorch/opacus, opacus/tests/accountants_test.py, test_prv_accountant: σ = 1.5, q = 0.04, 2250 steps,
    // δ = 1e-5 → 6.777395712150674, the PRV accountant's upper bound (its estimate + eps_error 0.01); the RDP
    // accountant gives 7.329. A tight upper bound must land just below the PRV bound and well below RDP.
    [Fact]
    public void OpacusPrvSetting()
    {
        var epsilon = Run(1.5, 0.04, 2250).GetEpsilon(1e-5);
        Assert.InRange(epsilon, 6.777395712150674 - 0.02, 6.777395712150674 + 1e-3);
        Assert.True(epsilon < 7.32911117143 - 0.5);
    }

    [Theory]
    [InlineData(1.3, 150 / 60000.0, 6000, 1e-5)]
    [InlineData(1.0, 0.001, 30000, 1e-7)]
    [InlineData(4.0, 0.01, 10000, 1e-5)]
    [InlineData(0.8, 0.05, 500, 1e-6)]
    [InlineData(2.0, 1.0, 50, 1e-5)]
    public void PldIsNeverLooserThanRdp(double sigma, double q, int steps, double delta)
    {
        var pld = Run(sigma, q, steps).GetEpsilon(delta);
        var rdp = RdpEpsilon(sigma, q, steps, delta);
        Assert.True(pld <= rdp + 1e-3, $"PLD ε = {pld} above RDP ε = {rdp}");
        Assert.True(pld > 0.5 * rdp, $"PLD ε = {pld} implausibly far below RDP ε = {rdp}");
    }

    [Fact]
    public void FullBatchStepsMatchTheExactGaussianGuarantee()
    {
        // 50 steps at σ = 2 are one Gaussian mechanism at σ/√50: its exact δ(ε) is Balle & Wang's formula.
        var accountant = Run(2.0, 1.0, 50);
        var epsilon = accountant.GetEpsilon(1e-5);
        var exact = GaussianCalibration.Delta(epsilon, 2.0 / Math.Sqrt(50));
        Assert.True(exact <= 1e-5, "the reported ε must be valid for the exact mechanism");
        Assert.True(GaussianCalibration.Delta(epsilon - 1e-3, 2.0 / Math.Sqrt(50)) > 1e-5, "and tight to within 1e-3");
    }

    [Theory]
    [InlineData(1.0, 0.01)]
    [InlineData(0.6, 0.2)]
    [InlineData(2.5, 1.0)]
    public void OneStepDiscretisationIsPessimisticAndClose(double sigma, double q)
    {
        foreach (var interval in new[] { 1e-4, 1e-2 })
        {
            var accountant = Run(sigma, q, 1, interval);
            foreach (var eps in new[] { 0.0, 0.05, 0.3, 1.0, 2.0, 4.0 })
            {
                var exact = Math.Max(SubsampledGaussianPld.DeltaRemove(eps, sigma, q), SubsampledGaussianPld.DeltaAdd(eps, sigma, q));
                var discrete = accountant.GetDelta(eps);
                Assert.True(discrete >= exact * (1 - 1e-9) - 1e-15, $"h={interval} ε={eps}: discrete δ {discrete:R} below exact {exact:R}");
                Assert.True(discrete <= exact + 50 * interval * interval + 1e-12, $"h={interval} ε={eps}: discrete δ {discrete:R} far above exact {exact:R}");
            }
        }
    }

    [Fact]
    public void SubsampledDivergencesMatchNumericalIntegration()
    {
        // remove: ∫ (P − e^ε Q)₊ with P = (1−q)N(0,σ²) + qN(1,σ²), Q = N(0,σ²); add: the pair swapped.
        const double sigma = 0.9, q = 0.05;
        foreach (var eps in new[] { -0.02, 0.0, 0.1, 0.5, 1.5 })
        {
            double remove = 0, add = 0, dx = 1e-4;
            for (var x = -12.0; x < 13.0; x += dx)
            {
                var n0 = Math.Exp(-x * x / (2 * sigma * sigma)) / (sigma * Math.Sqrt(2 * Math.PI));
                var n1 = Math.Exp(-(x - 1) * (x - 1) / (2 * sigma * sigma)) / (sigma * Math.Sqrt(2 * Math.PI));
                var mixture = (1 - q) * n0 + q * n1;
                remove += Math.Max(0, mixture - Math.Exp(eps) * n0) * dx;
                add += Math.Max(0, n0 - Math.Exp(eps) * mixture) * dx;
            }
            Assert.Equal(remove, SubsampledGaussianPld.DeltaRemove(eps, sigma, q), 8);
            Assert.Equal(add, SubsampledGaussianPld.DeltaAdd(eps, sigma, q), 8);
        }
    }

    [Fact]
    public void EpsilonAndDeltaAreInverse()
    {
        var accountant = Run(1.1, 0.02, 800);
        foreach (var delta in new[] { 1e-3, 1e-5, 1e-8 })
        {
            var epsilon = accountant.GetEpsilon(delta);
            Assert.Equal(delta, accountant.GetDelta(epsilon), delta * 1e-6);
        }
    }

    [Fact]
    public void EpsilonGrowsWithStepsAndShrinksWithNoise()
    {
        var previous = 0.0;
        foreach (var steps in new[] { 1, 10, 100, 1000, 5000 })
        {
            var eps = Run(1.0, 0.01, steps).GetEpsilon(1e-5);
            Assert.True(eps > previous, $"{steps} steps: ε = {eps} not above {previous}");
            previous = eps;
        }
        previous = double.PositiveInfinity;
        foreach (var sigma in new[] { 0.6, 0.8, 1.0, 2.0, 4.0 })
        {
            var eps = Run(sigma, 0.01, 1000).GetEpsilon(1e-5);
            Assert.True(eps < previous, $"σ = {sigma}: ε = {eps} not below {previous}");
            previous = eps;
        }
    }

    [Fact]
    public void HeterogeneousHistoryComposesSegments()
    {
        var mixed = new PldAccountant();
        mixed.Step(1.0, 0.01, 300);
        mixed.Step(2.0, 0.05, 200);
        mixed.Step(3.0, 1.0, 10);
        Assert.Equal(3, mixed.History.Count);
        var epsilon = mixed.GetEpsilon(1e-5);

        var rdp = new RdpAccountant();
        rdp.Step(1.0, 0.01, 300);
        rdp.Step(2.0, 0.05, 200);
        rdp.Step(3.0, 1.0, 10);
        Assert.True(epsilon <= rdp.GetEpsilon(1e-5), "PLD must not be looser than RDP");
        // More than any one segment alone, and the order of segments does not matter.
        Assert.True(epsilon > Run(1.0, 0.01, 300).GetEpsilon(1e-5));
        Assert.True(epsilon > Run(2.0, 0.05, 200).GetEpsilon(1e-5));
        var reordered = new PldAccountant();
        reordered.Step(3.0, 1.0, 10);
        reordered.Step(2.0, 0.05, 200);
        reordered.Step(1.0, 0.01, 300);
        Assert.Equal(epsilon, reordered.GetEpsilon(1e-5), 6);
    }

    [Fact]
    public void AnOversizedGridIsRefusedBeforeAllocating()
    {
        // σ = 0.001 spans privacy losses up to ~5·10⁵, i.e. ~5·10⁹ grid points at h = 1e-4.
        var error = Assert.Throws<InvalidOperationException>(() => Run(0.001, 1.0, 1).GetEpsilon(1e-5));
        Assert.Contains("discretisation interval", error.Message);
    }

    [Fact]
    public void EmptyHistoryHasSpentNothing()
    {
        var accountant = new PldAccountant();
        Assert.Equal("pld", accountant.Mechanism);
        Assert.Equal(0, accountant.GetEpsilon(1e-5));
        Assert.Equal(0, accountant.GetDelta(0.5));
    }
}
