using ModelSecurity.Privacy.Accounting;
using ModelSecurity.Privacy.Mechanisms;

namespace ModelSecurity.Tests.Privacy;

public class PrivacyValidationTests
{
    public static TheoryData<Func<IPrivacyAccountant>> Accountants => new() { () => new RdpAccountant(), () => new PldAccountant() };

    [Theory]
    [MemberData(nameof(Accountants))]
    public void SampleRateOutsideZeroOneIsRejected(Func<IPrivacyAccountant> make)
    {
        foreach (var q in new[] { 0.0, -0.1, 1.0000001, double.NaN })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => make().Step(1.0, q));
            Assert.Equal("sampleRate", error.ParamName);
            Assert.Contains("(0, 1]", error.Message);
        }
        make().Step(1.0, 1.0); // q = 1 is allowed
    }

    [Theory]
    [MemberData(nameof(Accountants))]
    public void NonPositiveOrNanNoiseIsRejected(Func<IPrivacyAccountant> make)
    {
        foreach (var sigma in new[] { 0.0, -1.0, double.NaN, double.PositiveInfinity })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => make().Step(sigma, 0.01));
            Assert.Equal("noiseMultiplier", error.ParamName);
            Assert.Contains("> 0", error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Accountants))]
    public void StepsBelowOneAreRejected(Func<IPrivacyAccountant> make)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => make().Step(1.0, 0.01, 0));
        Assert.Equal("steps", error.ParamName);
        Assert.Contains("at least 1", error.Message);
    }

    [Theory]
    [MemberData(nameof(Accountants))]
    public void DeltaOutsideZeroOneIsRejected(Func<IPrivacyAccountant> make)
    {
        var accountant = make();
        accountant.Step(1.0, 0.01, 10);
        foreach (var delta in new[] { 0.0, 1.0, -1e-5, 2.0, double.NaN })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => accountant.GetEpsilon(delta));
            Assert.Equal("delta", error.ParamName);
            Assert.Contains("(0, 1)", error.Message);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => accountant.GetDelta(-1));
    }

    [Fact]
    public void NonPositiveEpsilonIsRejected()
    {
        foreach (var eps in new[] { 0.0, -1.0, double.NaN })
        {
            var calibration = Assert.Throws<ArgumentOutOfRangeException>(() =>
                NoiseCalibration.NoiseMultiplierFor(eps, 1e-5, 0.01, 100, () => new RdpAccountant()));
            Assert.Equal("targetEpsilon", calibration.ParamName);
            Assert.Contains("> 0", calibration.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => new LaplaceMechanism(1, eps, new Random(0)));
            Assert.Throws<ArgumentOutOfRangeException>(() => new RandomizedResponse(eps, new Random(0)));
            Assert.Throws<ArgumentOutOfRangeException>(() => GaussianCalibration.AnalyticSigma(eps, 1e-5));
        }
    }

    [Fact]
    public void CalibrationChecksItsOtherArguments()
    {
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() =>
            NoiseCalibration.NoiseMultiplierFor(1, 0, 0.01, 100, () => new RdpAccountant())).ParamName);
        Assert.Equal("sampleRate", Assert.Throws<ArgumentOutOfRangeException>(() =>
            NoiseCalibration.NoiseMultiplierFor(1, 1e-5, 1.5, 100, () => new RdpAccountant())).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() =>
            NoiseCalibration.NoiseMultiplierFor(1, 1e-5, 0.01, 0, () => new RdpAccountant())).ParamName);
    }

    [Fact]
    public void RdpOrdersMustExceedOne()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant([1.0, 2.0]));
        Assert.Contains("> 1", error.Message);
        Assert.Throws<ArgumentException>(() => new RdpAccountant([]));
    }

    [Fact]
    public void MechanismAndCompositionArgumentsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaplaceMechanism(0, 1, new Random(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianMechanism(-1, 1, new Random(0)));
        Assert.Throws<ArgumentNullException>(() => new GaussianMechanism(1, 1, null!));
        Assert.Contains("(0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianCalibration.ClassicSigma(0.5, 1.0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Composition.Basic([(1.0, 1.0)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Composition.Advanced(0.1, 0, 0, 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Composition.Advanced(0.1, 0, 10, 0));
    }
}
