using ModelSecurity.Privacy.Numerics;

namespace ModelSecurity.Tests.Privacy;

public class NumericsTests
{
    // Reference values: mpmath at 40 significant digits.
    [Theory]
    [InlineData(-3.0, 1.9999779095030014146)]
    [InlineData(-0.7, 1.6778011938374184423)]
    [InlineData(0.0, 1.0)]
    [InlineData(0.3, 0.67137324054087258381)]
    [InlineData(0.9999, 0.15734072195124052201)]
    [InlineData(1.0, 0.15729920705028513066)]
    [InlineData(1.7, 0.016209541409225439159)]
    [InlineData(3.0, 2.2090496998585441373e-5)]
    [InlineData(6.0, 2.1519736712498913117e-17)]
    [InlineData(12.0, 1.3562611692059042128e-64)]
    [InlineData(26.0, 5.6631924088561428465e-296)]
    public void ErfcHasRelativeErrorBelow1e14(double x, double expected)
    {
        var actual = Normal.Erfc(x);
        Assert.True(Math.Abs(actual - expected) <= 1e-14 * expected, $"erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(1.7, -4.122155234243904)] // log of erfc(1.7) above
    [InlineData(30.0, -903.97411711064387808)]
    [InlineData(100.0, -10005.177585122664333)]
    [InlineData(1000.0, -1000007.4801207219062)]
    public void LogErfcStaysFiniteFarBeyondUnderflow(double x, double expected)
    {
        var actual = Normal.LogErfc(x);
        Assert.True(Math.Abs(actual - expected) <= 1e-9 * Math.Abs(expected), $"log erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(-40.0, -804.60844201375378817)]
    [InlineData(-10.0, -53.231285150512470578)]
    [InlineData(-1.0, -1.8410216450092635058)]
    [InlineData(2.0, -0.023012909328963488465)]
    public void LogNormalCdfMatchesMpmath(double z, double expected)
    {
        Assert.Equal(expected, Normal.LogCdf(z), 12);
        Assert.InRange(Normal.QuantileFromLog(expected), z - 1e-9, z + 1e-9);
    }

    [Fact]
    public void Log1PAndExpM1AreAccurateNearZero()
    {
        Assert.Equal(1e-20, LogSpace.Log1P(1e-20));
        Assert.Equal(1e-20, LogSpace.ExpM1(1e-20));
        Assert.Equal(9.9999999995000000000333e-11, LogSpace.Log1P(1e-10), 1e-25);
        Assert.Equal(1.00000000005e-10, LogSpace.ExpM1(1e-10), 1e-25);
        Assert.Equal(Math.Log(3), LogSpace.Log1P(2), 15);
        Assert.Equal(Math.E - 1, LogSpace.ExpM1(1), 15);
        Assert.Equal(-1.0, LogSpace.ExpM1(-800));
    }

    [Fact]
    public void LogSpaceAddAndSubtractInvertEachOther()
    {
        double a = Math.Log(5), b = Math.Log(3);
        Assert.Equal(Math.Log(8), LogSpace.Add(a, b), 1e-14);
        Assert.Equal(Math.Log(2), LogSpace.Subtract(a, b), 1e-14);
        Assert.Equal(b, LogSpace.Add(double.NegativeInfinity, b));
        Assert.Equal(double.NegativeInfinity, LogSpace.Subtract(a, a));
        Assert.Equal(-1000 + Math.Log(2), LogSpace.Add(-1000, -1000), 12); // both would underflow as plain numbers
        Assert.Throws<ArgumentException>(() => LogSpace.Subtract(b, a));
    }

    [Fact]
    public void FftConvolutionMatchesTheDirectSum()
    {
        var random = new Random(3);
        var a = Enumerable.Range(0, 37).Select(_ => random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 20).Select(_ => random.NextDouble()).ToArray();
        var fast = Fft.Convolve(a, b);
        Assert.Equal(a.Length + b.Length - 1, fast.Length);
        for (var k = 0; k < fast.Length; k++)
        {
            var direct = 0.0;
            for (var i = 0; i < a.Length; i++)
                if (k - i >= 0 && k - i < b.Length) direct += a[i] * b[k - i];
            Assert.Equal(direct, fast[k], 12);
        }
    }

    [Fact]
    public void CircularSelfConvolutionOfABernoulliIsBinomial()
    {
        const double p = 0.3;
        const int n = 40;
        var result = Fft.CircularSelfConvolve([1 - p, p], n, 64); // 41 outcomes fit in 64: no wrap-around
        var binomial = 1.0;
        for (var k = 0; k <= n; k++)
        {
            var expected = binomial * Math.Pow(p, k) * Math.Pow(1 - p, n - k);
            Assert.True(Math.Abs(result[k] - expected) < 1e-14, $"P[X = {k}] = {result[k]:R}, expected {expected:R}");
            binomial = binomial * (n - k) / (k + 1);
        }
        for (var k = n + 1; k < 64; k++) Assert.True(Math.Abs(result[k]) < 1e-14);
    }
}
