using ModelSecurity.Privacy;
using ModelSecurity.Privacy.Mechanisms;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

public class MechanismTests
{
    [Fact]
    public void LaplaceScaleIsSensitivityOverEpsilonAndTheNoiseHasVariance2bSquared()
    {
        var mechanism = new LaplaceMechanism(sensitivity: 2.0, epsilon: 0.5, new Random(42));
        Assert.Equal(4.0, mechanism.Scale);
        Assert.Equal(32.0, mechanism.Variance);
        Assert.Equal(new PrivacyBudget(0.5, 0), mechanism.Guarantee);

        const int n = 200_000;
        var noise = mechanism.Apply(new double[n]);
        var mean = noise.Average();
        var variance = noise.Select(x => (x - mean) * (x - mean)).Sum() / (n - 1);
        var meanAbs = noise.Average(Math.Abs);
        // Standard errors: mean 4·√2/√n ≈ 0.013; variance ≈ 32·√5/√n ≈ 0.16 (Laplace kurtosis 6).
        Assert.InRange(mean, -0.06, 0.06);
        Assert.InRange(variance, 32 * 0.97, 32 * 1.03);
        Assert.InRange(meanAbs, 4 * 0.98, 4 * 1.02); // E|X| = b for Laplace, not √(2/π)·σ as for a Gaussian
    }

    [Fact]
    public void MechanismsAreReproducibleWithASeededRandom()
    {
        var values = new[] { 1.0, 2.0, 3.0 };
        Assert.Equal(new LaplaceMechanism(1, 1, new Random(7)).Apply(values), new LaplaceMechanism(1, 1, new Random(7)).Apply(values));
        Assert.NotEqual(new LaplaceMechanism(1, 1, new Random(7)).Apply(values), new LaplaceMechanism(1, 1, new Random(8)).Apply(values));
        Assert.Equal(new GaussianMechanism(2, 1, new Random(7)).Apply(values), new GaussianMechanism(2, 1, new Random(7)).Apply(values));
        var rr = new[] { true, false, true, true };
        Assert.Equal(new RandomizedResponse(1, new Random(7)).Respond(rr), new RandomizedResponse(1, new Random(7)).Respond(rr));
    }

    [Fact]
    public void TensorOverloadsAddNoiseOfTheRightScaleAndKeepShapeAndType()
    {
        using var scope = NewDisposeScope();
        var input = zeros(new long[] { 100, 100 }, dtype: ScalarType.Float32);
        var laplace = new LaplaceMechanism(1, 2, new Random(1)).Apply(input);
        Assert.Equal(input.shape, laplace.shape);
        Assert.Equal(ScalarType.Float32, laplace.dtype);
        Assert.InRange(laplace.to_type(ScalarType.Float64).var().item<double>(), 0.5 * 0.9, 0.5 * 1.1); // 2b², b = 0.5
        var gaussian = new GaussianMechanism(3, 1, new Random(1)).Apply(input);
        Assert.InRange(gaussian.to_type(ScalarType.Float64).std().item<double>(), 3 * 0.95, 3 * 1.05);
        Assert.Equal(0.0, input.abs().max().item<float>()); // the input is not modified
    }

    [Fact]
    public void GaussianNoiseHasTheCalibratedStandardDeviation()
    {
        var mechanism = GaussianMechanism.Classic(sensitivity: 1, epsilon: 0.5, delta: 1e-5, new Random(5));
        var expected = Math.Sqrt(2 * Math.Log(1.25 / 1e-5)) / 0.5;
        Assert.Equal(expected, mechanism.Sigma, 12);
        const int n = 100_000;
        var noise = mechanism.Apply(new double[n]);
        var mean = noise.Average();
        var sd = Math.Sqrt(noise.Select(x => (x - mean) * (x - mean)).Sum() / (n - 1));
        Assert.InRange(mean, -4 * expected / Math.Sqrt(n), 4 * expected / Math.Sqrt(n));
        Assert.InRange(sd, expected * 0.985, expected * 1.015);
    }

    [Fact]
    public void ClassicCalibrationIsOnlyOfferedBelowEpsilonOne()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GaussianCalibration.ClassicSigma(1.0, 1e-5));
        Assert.Contains("(0, 1)", error.Message);
        Assert.Contains("AnalyticSigma", error.Message);
    }

    // Cross-checked against Google dp_accounting's gaussian_mechanism.get_sigma_gaussian(ε, δ, tol=1e-15), which
    // solves the same Balle & Wang (2018) Theorem 8 condition.
    [Theory]
    [InlineData(1.0, 1e-5, 3.7306316348159414)]
    [InlineData(0.5, 1e-5, 7.031826675582486)]
    [InlineData(4.0, 1e-6, 1.1935185871579856)]
    [InlineData(0.1, 1e-3, 17.404396203031105)]
    public void AnalyticGaussianSigmaMatchesDpAccounting(double epsilon, double delta, double expected)
    {
        var sigma = GaussianCalibration.AnalyticSigma(epsilon, delta);
        Assert.Equal(expected, sigma, 9);
        Assert.Equal(2.5 * expected, GaussianCalibration.AnalyticSigma(epsilon, delta, sensitivity: 2.5), 8);
        // It is the smallest σ that works: δ(ε) equals the target there, slightly less noise breaks the guarantee.
        Assert.Equal(delta, GaussianCalibration.Delta(epsilon, sigma), delta * 1e-6);
        Assert.True(GaussianCalibration.Delta(epsilon, sigma * (1 - 1e-6)) > delta);
        if (epsilon < 1) Assert.True(sigma < GaussianCalibration.ClassicSigma(epsilon, delta), "the analytic σ never exceeds the classic one");
    }

    [Fact]
    public void GaussianDeltaIsTheExactHockeyStickDivergence()
    {
        // Numerical integral of (p − e^ε q)₊ for p = N(1, σ²), q = N(0, σ²) against the closed form.
        const double sigma = 1.3, epsilon = 0.8;
        double integral = 0, dx = 1e-4;
        for (var x = -15.0; x < 17.0; x += dx)
        {
            double p = Math.Exp(-(x - 1) * (x - 1) / (2 * sigma * sigma)), q = Math.Exp(-x * x / (2 * sigma * sigma));
            integral += Math.Max(0, p - Math.Exp(epsilon) * q) * dx / (sigma * Math.Sqrt(2 * Math.PI));
        }
        Assert.Equal(integral, GaussianCalibration.Delta(epsilon, sigma), 7);
    }

    [Fact]
    public void RandomizedResponseKeepsTheTruthWithProbabilityEToTheEpsilonOverOnePlusEToTheEpsilon()
    {
        var rr = new RandomizedResponse(Math.Log(3), new Random(9));
        Assert.Equal(0.75, rr.KeepProbability, 14);
        var reports = rr.Respond(Enumerable.Repeat(true, 100_000).ToArray());
        Assert.InRange(reports.Count(r => r) / 100_000.0, 0.75 - 0.006, 0.75 + 0.006); // 4.4 standard errors
    }

    [Fact]
    public void RandomizedResponseEstimatorIsUnbiasedOnAverage()
    {
        const double epsilon = 0.5, truth = 0.3;
        const int people = 1000, repetitions = 400;
        var population = Enumerable.Range(0, people).Select(i => i < truth * people).ToArray();
        var random = new Random(2024);
        var estimates = new double[repetitions];
        for (var r = 0; r < repetitions; r++)
        {
            var rr = new RandomizedResponse(epsilon, random);
            estimates[r] = rr.EstimateProportion(rr.Respond(population));
        }
        var mean = estimates.Average();
        var variance = estimates.Select(e => (e - mean) * (e - mean)).Sum() / (repetitions - 1);
        var predicted = RandomizedResponse.EstimatorVariance(truth, people, epsilon);
        // One estimate has sd √predicted ≈ 0.065 (the naive fraction would be off by ≈ 0.09 on average);
        // the mean of 400 has sd ≈ 0.0033, so ±0.015 is about 4.6 standard errors.
        Assert.InRange(mean, truth - 0.015, truth + 0.015);
        Assert.InRange(variance, predicted * 0.8, predicted * 1.2);
    }

    [Fact]
    public void RandomizedResponseEstimatorInvertsTheExpectedReportFraction()
    {
        var p = RandomizedResponse.KeepProbabilityFor(1.0);
        // 1000 reports whose "true" fraction is exactly the expected λ for π = 0.2.
        var lambda = (2 * p - 1) * 0.2 + (1 - p);
        var trueReports = (int)Math.Round(lambda * 100_000);
        var reports = Enumerable.Range(0, 100_000).Select(i => i < trueReports).ToArray();
        Assert.Equal(0.2, RandomizedResponse.EstimateProportion(reports, 1.0), 4);
        Assert.Throws<ArgumentException>(() => RandomizedResponse.EstimateProportion(Array.Empty<bool>(), 1.0));
    }

    [Fact]
    public void BasicCompositionAddsEpsilonsAndDeltas()
    {
        var total = Composition.Basic([(0.5, 1e-6), (0.25, 0), (1.0, 2e-6)]);
        Assert.Equal(1.75, total.Epsilon, 14);
        Assert.Equal(3e-6, total.Delta, 1e-20);
        Assert.Equal(new PrivacyBudget(10 * 0.1, 10 * 1e-7), Composition.Basic(0.1, 1e-7, 10));
    }

    [Fact]
    public void AdvancedCompositionFollowsDworkRothbumVadhan()
    {
        // k = 100 runs of (0.1, 1e-7), δ' = 1e-5 (Dwork & Roth 2014, Theorem 3.20):
        // ε' = √(2·100·ln(1e5))·0.1 + 100·0.1·(e^0.1 − 1).
        var advanced = Composition.Advanced(0.1, 1e-7, 100, 1e-5);
        var expected = Math.Sqrt(200 * Math.Log(1e5)) * 0.1 + 10 * (Math.Exp(0.1) - 1);
        Assert.Equal(expected, advanced.Epsilon, 12);
        Assert.Equal(100 * 1e-7 + 1e-5, advanced.Delta, 1e-18);
        Assert.True(advanced.Epsilon < 10, "for many small steps advanced composition beats kε = 10");
        // For a few large steps basic composition is better, and Best picks it.
        Assert.True(Composition.Advanced(1.0, 0, 3, 1e-5).Epsilon > 3);
        Assert.Equal(Composition.Basic(1.0, 0, 3), Composition.Best(1.0, 0, 3, 1e-5));
        Assert.Equal(advanced, Composition.Best(0.1, 1e-7, 100, 1e-5));
    }
}
