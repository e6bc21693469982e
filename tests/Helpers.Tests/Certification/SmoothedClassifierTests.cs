using ModelSecurity.Attacks;
using ModelSecurity.Certification;
using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using ModelSecurity.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Certification;

/// <summary>The test MLP trained with Gaussian noise σ = 0.25: a base classifier worth smoothing.</summary>
public sealed class NoisyMlpFixture() : TrainedMlpFixture(new GaussianNoiseAugmentation(Sigma), testCount: 40, testSeed: 3)
{
    public const double Sigma = 0.25;
}

public class SmoothedClassifierTests(NoisyMlpFixture fixture) : IClassFixture<NoisyMlpFixture>
{
    /// <summary>Always answers <c>Class</c>; records the batch sizes it is called with.</summary>
    private sealed class ConstantModel(int answer) : nn.Module<Tensor, Tensor>("constant")
    {
        public List<long> BatchSizes { get; } = new();

        public override Tensor forward(Tensor input)
        {
            BatchSizes.Add(input.shape[0]);
            return nn.functional.one_hot(full(input.shape[0], answer, dtype: ScalarType.Int64), 10).to_type(ScalarType.Float32);
        }
    }

    /// <summary>Class 0 when the noisy first pixel is above 0.5, class 1 otherwise: a coin toss for an image whose first pixel is 0.5.</summary>
    private sealed class CoinModel() : nn.Module<Tensor, Tensor>("coin")
    {
        public override Tensor forward(Tensor input)
        {
            var first = input.flatten(1).select(1, 0) - 0.5;
            return cat(new[] { first.unsqueeze(1), (-first).unsqueeze(1), zeros(input.shape[0], 8) }, 1);
        }
    }

    [Fact]
    public void ConstantBaseClassifierGetsTheClosedFormRadius()
    {
        using var scope = NewDisposeScope();
        var model = new ConstantModel(3);
        var smoothed = new SmoothedClassifier(model, 10, sigma: 0.5, batchSize: 64, seed: 0);
        var certificate = smoothed.Certify(zeros(1, 28, 28), selectionSamples: 10, samples: 1000, alpha: 0.001);
        // All 1000 samples vote for class 3: p̲ = α^(1/n), radius σ·Φ⁻¹(p̲).
        Assert.Equal(3, certificate.Prediction);
        Assert.Equal(1000, certificate.TopCount);
        double lower = Math.Pow(0.001, 1.0 / 1000);
        Assert.Equal(lower, certificate.LowerBound, 14);
        Assert.Equal(0.5 * 2.46326261478081, certificate.Radius, 12); // Φ⁻¹(0.001^(1/1000)) from mpmath
    }

    [Fact]
    public void NoiseSamplesAreClassifiedInBatches()
    {
        using var scope = NewDisposeScope();
        var model = new ConstantModel(7);
        var smoothed = new SmoothedClassifier(model, 10, sigma: 0.25, batchSize: 1000, seed: 0);
        var counts = smoothed.SampleCounts(zeros(1, 1, 28, 28), 2500);
        Assert.Equal(new long[] { 1000, 1000, 500 }, model.BatchSizes);
        Assert.Equal(2500, counts.Sum());
        Assert.Equal(2500, counts[7]);
    }

    [Fact]
    public void AbstainsWhenTheTopClassIsNotLikelierThanHalf()
    {
        using var scope = NewDisposeScope();
        var image = full(new long[] { 1, 28, 28 }, 0.5f);
        var smoothed = new SmoothedClassifier(new CoinModel(), 10, sigma: 0.25, batchSize: 500, seed: 1);
        var certificate = smoothed.Certify(image, 100, 2000, alpha: 0.001);
        Assert.True(certificate.Abstained, $"p_A ≈ ½, yet CERTIFY returned class {certificate.Prediction}");
        Assert.Equal(0, certificate.Radius);
        Assert.True(certificate.LowerBound <= 0.5);
        var prediction = smoothed.Predict(image, 2000, alpha: 0.001);
        Assert.True(prediction.Abstained, $"PREDICT returned {prediction.Prediction} with counts {string.Join(", ", prediction.Counts)}");
        Assert.Equal(0, SmoothedClassifier.Radius(0.25, 0.5));
    }

    [Fact]
    public void RadiusIsSigmaTimesTheNormalQuantile()
    {
        Assert.Equal(0.25 * 2.3263478740408411009, SmoothedClassifier.Radius(0.25, 0.99), 12);
        Assert.Equal(0.5 * 1.2815515655446004, SmoothedClassifier.Radius(0.5, 0.9), 12);
        Assert.Equal(-1.959963984540054, StandardNormal.Quantile(0.025), 12);
        Assert.Equal(4.753424308822899, StandardNormal.Quantile(1 - 1e-6), 9); // 1 − p is exact, so the upper tail keeps its digits
        Assert.Equal(0.975, StandardNormal.Cdf(1.959963984540054), 14);
        Assert.Throws<ArgumentOutOfRangeException>(() => StandardNormal.Quantile(1));
    }

    [Fact]
    public void BadArgumentsAreRefusedWithClearMessages()
    {
        using var scope = NewDisposeScope();
        var sigma = Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothedClassifier(fixture.Model, 10, sigma: -0.1));
        Assert.Contains("sigma must be a finite number > 0", sigma.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianNoiseAugmentation(0));
        var smoothed = new SmoothedClassifier(fixture.Model, 10, 0.25);
        var batch = Assert.Throws<ArgumentException>(() => smoothed.Certify(zeros(2, 1, 28, 28), 10, 100, 0.001));
        Assert.Contains("one image at a time", batch.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => smoothed.Certify(zeros(1, 28, 28), 10, 100, 0));
        Assert.Throws<ArgumentException>(() => new SmoothedClassifier(fixture.Model, 7, 0.25).SampleCounts(zeros(1, 28, 28), 10));
    }

    [Fact]
    public void PgdL2WithinTheCertifiedRadiusDoesNotChangeTheSmoothedPrediction()
    {
        using var scope = NewDisposeScope();
        var smoothed = new SmoothedClassifier(fixture.Model, 10, NoisyMlpFixture.Sigma, batchSize: 500, seed: 2);
        var attacked = new SmoothedSoftmax(fixture.Model, NoisyMlpFixture.Sigma, samples: 64);
        int certified = 0;
        for (int i = 0; i < 12; i++)
        {
            var (image, label) = fixture.Test.Get(i);
            var certificate = smoothed.Certify(image, 50, 1000, alpha: 0.001);
            if (certificate.Abstained) continue;
            certified++;
            Assert.True(certificate.Radius > 0);
            manual_seed(i);
            var target = tensor(new long[] { certificate.Prediction });
            var pgd = new Pgd(attacked, certificate.Radius, steps: 10, norm: Norm.L2, seed: i);
            var adversarial = pgd.Run(image, target);
            double moved = Perturbations.Norms(adversarial - image, Norm.L2).item<float>();
            Assert.True(moved <= certificate.Radius + 1e-4, $"PGD left the ball: {moved} > {certificate.Radius}");
            var after = smoothed.Predict(adversarial, 1000, alpha: 0.001);
            Assert.True(after.Prediction == certificate.Prediction || after.Abstained,
                $"Image {i}: certified class {certificate.Prediction} within radius {certificate.Radius:F3}, but after PGD-L2 of norm {moved:F3} " +
                $"the smoothed classifier says {after.Prediction} (counts {string.Join(", ", after.Counts)}).");
        }
        Assert.True(certified >= 6, $"only {certified} of 12 images certified; the test would say little");
    }

    [Fact]
    public void CertifiedAccuracyCountsCorrectCertificatesAtLeastThatLarge()
    {
        var results = new[]
        {
            new LabelledCertificate(1, new Certificate(1, 0.8, 0.99, 990, 1000)),
            new LabelledCertificate(2, new Certificate(2, 0.3, 0.9, 900, 1000)),
            new LabelledCertificate(3, new Certificate(4, 0.9, 0.99, 990, 1000)), // wrong, large radius
            new LabelledCertificate(4, new Certificate(SmoothedClassifier.Abstain, 0, 0.4, 400, 1000)),
        };
        Assert.Equal(0.5, CertifiedAccuracy.At(results, 0));
        Assert.Equal(0.5, CertifiedAccuracy.At(results, 0.3));
        Assert.Equal(0.25, CertifiedAccuracy.At(results, 0.5));
        Assert.Equal(0, CertifiedAccuracy.At(results, 0.81));
        Assert.Equal(new[] { 0.5, 0.5, 0.25, 0.25, 0.25 }, CertifiedAccuracy.Curve(results, CertifiedAccuracy.Radii(0.8, 0.2)));
    }
}
