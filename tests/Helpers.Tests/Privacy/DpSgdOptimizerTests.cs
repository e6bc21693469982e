using ModelSecurity.Privacy;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

public class DpSgdOptimizerTests
{
    [Fact]
    public void ClippingBoundsEveryNormJointlyAndLeavesSmallGradientsAlone()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        const double c = 1.0;
        // Rows scaled so their joint norms are 0.1, 0.5, 0.99, 1.27, 10, 100; in row 3 each parameter's part has norm 0.9 < C,
        // but the example's whole gradient has norm √(0.9² + 0.9²) ≈ 1.27 > C.
        var a = randn(6, 3);
        var b = randn(6, 2, 2);
        var na = a.norm(1, keepdim: true);
        var nb = b.flatten(1).norm(1).reshape(6, 1, 1);
        var part = tensor(new float[] { 0.1f, 0.5f, 0.99f, 1.2728f, 10f, 100f }) / MathF.Sqrt(2);
        a = a / na * part.unsqueeze(1);
        b = b / nb * part.reshape(6, 1, 1);
        Assert.True(a[3].norm().item<float>() < c && b[3].norm().item<float>() < c, "row 3 should exceed C only jointly");

        var clipped = PerExampleClipping.Clip(new[] { a, b }, c);
        var norms = PerExampleClipping.Norms(clipped);
        Assert.True(norms.le(c).all().item<bool>(), $"clipped norms {string.Join(", ", norms.data<float>().ToArray())} should all be ≤ C");
        for (int i = 0; i < 3; i++)
        {
            Assert.True(clipped[0][i].eq(a[i]).all().item<bool>(), $"row {i} is shorter than C and must not change");
            Assert.True(clipped[1][i].eq(b[i]).all().item<bool>(), $"row {i} is shorter than C and must not change");
        }
        for (int i = 3; i < 6; i++)
        {
            Assert.Equal(c, norms[i].item<float>(), 4); // long rows end up at norm C, direction kept
            Assert.True(clipped[0][i].div(a[i]).sub(clipped[0][i][0] / a[i][0]).abs().max().item<float>() < 1e-5);
        }
        var factors = PerExampleClipping.Factors(PerExampleClipping.Norms(new[] { a, b }), c);
        Assert.True(PerExampleClipping.WeightedSum(a, factors).allclose(clipped[0].sum(dim: 0), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void WithoutNoiseAndClippingOneStepIsAnOrdinarySgdStepOnTheMeanLoss()
    {
        using var scope = NewDisposeScope();
        using var data = DpTestData.Images(40, seed: 4);
        var batch = data.Images.narrow(0, 0, 16);
        var labels = data.Labels.narrow(0, 0, 16);

        var reference = DpTestData.ConvNet(seed: 5);
        using (var sgd = optim.SGD(reference.parameters(), 0.5))
        {
            sgd.zero_grad();
            nn.functional.cross_entropy(reference.forward(batch), labels).backward();
            sgd.step();
        }

        var model = DpTestData.ConvNet(seed: 5);
        using var inner = optim.SGD(model.parameters(), 0.5);
        using var gradSample = new GradSampleModule(model);
        using var dp = new DpSgdOptimizer(gradSample, inner, noiseMultiplier: 0, maxGradNorm: 1e6, sampleRate: 16.0 / 40, expectedBatchSize: 16);
        var result = dp.Step(batch, labels);

        Assert.Equal(16, result.Count);
        Assert.Equal(0, result.Clipped);
        double difference = DpTestData.MaxDifference(DpTestData.Snapshot(model), DpTestData.Snapshot(reference));
        Assert.True(difference < 1e-5, $"DP step and SGD step differ by {difference:G3}");
        Assert.True(DpTestData.MaxDifference(DpTestData.Snapshot(model), DpTestData.Snapshot(DpTestData.ConvNet(seed: 5))) > 1e-3,
            "the step should have changed the model");
    }

    [Fact]
    public void NoiseHasStandardDeviationSigmaTimesCOverTheExpectedBatchSize()
    {
        using var scope = NewDisposeScope();
        using var data = DpTestData.Images(20, seed: 6);
        var batch = data.Images.narrow(0, 0, 10);
        var labels = data.Labels.narrow(0, 0, 10);
        const double sigma = 2.0, c = 0.5, expected = 8, lr = 1.0; // q·N = 8 although this batch has 10: the divisor is public

        Tensor[] Update(double noiseMultiplier, int seed)
        {
            var model = WideModel();
            var before = DpTestData.Snapshot(model);
            using var inner = optim.SGD(model.parameters(), lr);
            using var gradSample = new GradSampleModule(model);
            using var dp = new DpSgdOptimizer(gradSample, inner, noiseMultiplier, c, sampleRate: 0.4, expectedBatchSize: expected, seed: seed);
            dp.Step(batch, labels);
            return DpTestData.Snapshot(model).Zip(before, (after, b) => (after - b).flatten()).ToArray();
        }

        var clean = cat(Update(0, seed: 1));
        var noise = cat(Update(sigma, seed: 1)) - clean; // −lr · N(0, σ²C²) / (q·N), coordinate by coordinate
        double std = noise.std().item<float>(), mean = noise.mean().item<float>(), want = lr * sigma * c / expected;
        long n = noise.numel();
        Assert.True(n > 5000, "enough coordinates for the statistics");
        Assert.True(Math.Abs(std / want - 1) < 0.04, $"noise std {std:G4}, expected {want:G4} over {n} coordinates");
        Assert.True(Math.Abs(mean) < 4 * want / Math.Sqrt(n), $"noise mean {mean:G3} should be ≈ 0");

        Assert.True(cat(Update(sigma, seed: 1)).eq(cat(Update(sigma, seed: 1))).all().item<bool>(), "the same seed gives the same noise");
        Assert.False(cat(Update(sigma, seed: 1)).eq(cat(Update(sigma, seed: 2))).all().item<bool>(), "another seed gives other noise");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.3)]
    public void VirtualBatchesGiveTheSameUpdateAsOnePhysicalBatch(double sigma)
    {
        using var scope = NewDisposeScope();
        using var data = DpTestData.Images(30, seed: 7);
        Tensor[] After(int physical, out DpStepResult result)
        {
            var model = DpTestData.ConvNet(seed: 8);
            using var inner = optim.SGD(model.parameters(), 0.3, momentum: 0.9);
            using var gradSample = new GradSampleModule(model);
            using var dp = new DpSgdOptimizer(gradSample, inner, sigma, maxGradNorm: 0.05, sampleRate: 1, expectedBatchSize: 30,
                maxPhysicalBatchSize: physical, seed: 3);
            result = dp.Step(data.Images, data.Labels);
            return DpTestData.Snapshot(model);
        }

        var whole = After(30, out var one);
        var chunked = After(7, out var five);
        Assert.Equal(1, one.PhysicalBatches);
        Assert.Equal(5, five.PhysicalBatches);
        Assert.True(one.Clipped > 0, "C is small enough that clipping matters");
        Assert.Equal(one.Clipped, five.Clipped);
        Assert.Equal(one.Correct, five.Correct);
        Assert.Equal(one.LossSum, five.LossSum, 3);
        double difference = DpTestData.MaxDifference(whole, chunked);
        Assert.True(difference < 1e-6, $"chunks of 7 and one chunk of 30 differ by {difference:G3} (noise must be added once per logical batch)");
    }

    [Fact]
    public void ParametersKeepNoStaleGradient()
    {
        using var scope = NewDisposeScope();
        using var data = DpTestData.Images(12, seed: 9);
        Tensor[] After(bool poison)
        {
            var model = DpTestData.ConvNet(seed: 10);
            using var inner = optim.SGD(model.parameters(), 0.1);
            using var gradSample = new GradSampleModule(model);
            using var dp = new DpSgdOptimizer(gradSample, inner, 0, 1.0, sampleRate: 1, expectedBatchSize: 12);
            if (poison)
            {
                // a gradient left over from an ordinary backward pass (not private) must not leak into the update
                nn.functional.cross_entropy(model.forward(data.Images), data.Labels).backward();
                using (no_grad()) foreach (var p in model.parameters()) p.grad!.add_(1000);
            }
            dp.Step(data.Images, data.Labels);
            Assert.All(model.parameters(), p => Assert.Null(p.grad));
            dp.Step(data.Images, data.Labels);
            Assert.All(model.parameters(), p => Assert.Null(p.grad));
            return DpTestData.Snapshot(model);
        }
        Assert.True(DpTestData.MaxDifference(After(poison: false), After(poison: true)) < 1e-6);
    }

    [Fact]
    public void StepsLeaveNoTensorsBehind()
    {
        using var data = DpTestData.Images(24, seed: 16);
        var model = DpTestData.ConvNet(seed: 17);
        using var inner = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        using var gradSample = new GradSampleModule(model);
        using var dp = new DpSgdOptimizer(gradSample, inner, 1.0, 1.0, sampleRate: 1, expectedBatchSize: 24, maxPhysicalBatchSize: 5);
        dp.Step(data.Images, data.Labels); // the first step creates the optimizer's momentum buffers
        long before = Tensor.TotalCount;
        for (int i = 0; i < 3; i++) dp.Step(data.Images, data.Labels);
        Assert.Equal(before, Tensor.TotalCount);
        Assert.Equal(4, dp.Steps);
    }

    [Theory]
    [InlineData(-1.0, 1.0, 0.1, 8, "noiseMultiplier")]
    [InlineData(double.NaN, 1.0, 0.1, 8, "noiseMultiplier")]
    [InlineData(double.PositiveInfinity, 1.0, 0.1, 8, "noiseMultiplier")]
    [InlineData(1.0, 0.0, 0.1, 8, "maxGradNorm")]
    [InlineData(1.0, -2.0, 0.1, 8, "maxGradNorm")]
    [InlineData(1.0, double.NaN, 0.1, 8, "maxGradNorm")]
    [InlineData(1.0, 1.0, 0.0, 8, "sampleRate")]
    [InlineData(1.0, 1.0, -0.1, 8, "sampleRate")]
    [InlineData(1.0, 1.0, 1.5, 8, "sampleRate")]
    [InlineData(1.0, 1.0, double.NaN, 8, "sampleRate")]
    [InlineData(1.0, 1.0, 0.1, 0, "maxPhysicalBatchSize")]
    public void BadArgumentsAreRefusedClearly(double sigma, double c, double q, int physical, string parameter)
    {
        using var data = DpTestData.Images(10, seed: 11);
        var model = DpTestData.ConvNet(seed: 12);
        using var sgd = optim.SGD(model.parameters(), 0.1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new PrivacyEngine().MakePrivate(model, sgd, data, sigma, c, q, maxPhysicalBatchSize: physical));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains("must", error.Message);

        var options = new DpSgdOptions { NoiseMultiplier = sigma, MaxGradNorm = c, MaxPhysicalBatchSize = physical };
        if (parameter != "sampleRate") Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }

    [Fact]
    public void AnOptimizerThatMissesParametersIsRefused()
    {
        var model = DpTestData.ConvNet(seed: 18);
        using var gradSample = new GradSampleModule(model);
        using var partial = optim.SGD(model.parameters().Take(2), 0.1);
        var error = Assert.Throws<ArgumentException>(() => new DpSgdOptimizer(gradSample, partial, 1, 1, 0.1, 10));
        Assert.Contains("fc.weight, fc.bias", error.Message);
    }

    [Fact]
    public void TheEngineRecordsStepsForTheAccountant()
    {
        using var scope = NewDisposeScope();
        using var data = DpTestData.Images(20, seed: 13);
        var calls = new List<(double Sigma, double Q, int Steps)>();
        var engine = new PrivacyEngine((sigma, q, steps) => calls.Add((sigma, q, steps)));
        var model = DpTestData.ConvNet(seed: 14);
        using var sgd = optim.SGD(model.parameters(), 0.1);
        using (var training = engine.MakePrivate(model, sgd, data, noiseMultiplier: 1.1, maxGradNorm: 1, sampleRate: 0.25, seed: 1))
        {
            Assert.Equal(4, training.BatchesPerEpoch);
            foreach (var batch in training.Loader)
                using (batch) training.Optimizer.Step(batch.Images, batch.Labels);
            Assert.Equal(4, training.Optimizer.Steps);
        }
        using (var fixedSize = engine.MakePrivate(model, sgd, data, 0.8, 1, 0.3, BatchSampling.Shuffle))
        {
            Assert.Equal(6.0, fixedSize.Optimizer.ExpectedBatchSize); // round(0.3 · 20)
            Assert.Equal(3, fixedSize.BatchesPerEpoch);
            foreach (var batch in fixedSize.Loader)
                using (batch) Assert.Equal(6, fixedSize.Optimizer.Step(batch.Images, batch.Labels).Count);
        }
        Assert.Equal(new[] { new PrivacyStepRecord(1.1, 0.25, 4), new PrivacyStepRecord(0.8, 0.3, 3) }, engine.History);
        Assert.Equal(7, engine.Steps);
        Assert.Equal(7, calls.Count);
        Assert.All(calls, c => Assert.Equal(1, c.Steps));
    }

    /// <summary>8×8 inputs, 3 classes, about 6,000 parameters (for noise statistics); the same weights every time.</summary>
    private static nn.Module<Tensor, Tensor> WideModel()
    {
        manual_seed(15);
        return nn.Sequential(("flat", nn.Flatten()), ("fc1", nn.Linear(64, 80)), ("relu", nn.ReLU()), ("fc2", nn.Linear(80, 3)));
    }
}
