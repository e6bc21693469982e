using ModelSecurity.Explanations;
using ModelSecurity.Models;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Explanations;

public class ExplanationTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private static (Tensor Weight, Tensor Bias) LinearParameters(nn.Module<Tensor, Tensor> linear)
    {
        var parameters = linear.parameters().ToArray();
        return (parameters.Single(p => p.ndim == 2), parameters.Single(p => p.ndim == 1));
    }

    [Fact]
    public void SaliencyOfALinearModelIsTheWeightRowOfTheClass()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var linear = ModelZoo.Create("linear");
        var images = fixture.Test.Images.narrow(0, 0, 8);
        var classes = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        var saliency = Saliency.Compute(linear, images, classes);
        var (weight, _) = LinearParameters(linear);
        var expected = weight.index_select(0, classes).view(images.shape);
        Assert.True(saliency.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void IntegratedGradientsOfALinearModelAreExactWithOneStep()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var linear = ModelZoo.Create("linear");
        var images = fixture.Test.Images.narrow(0, 0, 8);
        var classes = tensor(new long[] { 9, 8, 7, 6, 5, 4, 3, 2 });
        var baseline = full(new long[] { 1, 28, 28 }, 0.5f);
        var attributions = new IntegratedGradients(steps: 1).Attribute(linear, images, classes, baseline);
        var (weight, _) = LinearParameters(linear);
        var expected = (images - 0.5f) * weight.index_select(0, classes).view(images.shape);
        Assert.True(attributions.allclose(expected, rtol: 0, atol: 1e-6));
        var gap = IntegratedGradients.CompletenessGap(linear, images, attributions, classes, baseline);
        Assert.True(gap.abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void IntegratedGradientsAddUpToTheScoreDifference()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 6);
        var classes = fixture.Test.Labels.narrow(0, 0, 6);
        var coarse = new IntegratedGradients(steps: 4, rule: RiemannRule.Right).Attribute(fixture.Model, images, classes);
        var fine = new IntegratedGradients(steps: 300).Attribute(fixture.Model, images, classes);
        double coarseGap = IntegratedGradients.CompletenessGap(fixture.Model, images, coarse, classes).abs().max().item<float>();
        double fineGap = IntegratedGradients.CompletenessGap(fixture.Model, images, fine, classes).abs().max().item<float>();
        using var noGrad = no_grad();
        double scale = fixture.Model.forward(images).gather(1, classes.unsqueeze(1)).abs().max().item<float>();
        Assert.True(fineGap < 0.01 * scale, $"Σ attributions − (z(x) − z(0)) = {fineGap} with 300 midpoint steps (scores up to {scale})");
        Assert.True(fineGap < coarseGap, $"more steps should shrink the gap: {fineGap} (300) vs {coarseGap} (4)");
    }

    [Fact]
    public void IntegratedGradientsBatchingDoesNotChangeTheResult()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 3);
        var one = new IntegratedGradients(steps: 20, batchSize: 3).Attribute(fixture.Model, images);
        var all = new IntegratedGradients(steps: 20, batchSize: 1000).Attribute(fixture.Model, images);
        Assert.True(one.allclose(all, rtol: 1e-4, atol: 1e-6));
    }

    [Fact]
    public void GradCamSplitsTheCnnWithoutChangingItAndMapsLieInTheUnitInterval()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var cnn = new KolterMadryCnn();
        cnn.eval();
        var images = fixture.Test.Images.narrow(0, 0, 5);
        using (no_grad())
            Assert.True(cnn.Classify(cnn.Features(images)).allclose(cnn.forward(images), rtol: 0, atol: 1e-6));
        var maps = GradCam.Compute(cnn, images);
        Assert.Equal(new long[] { 5, 1, 28, 28 }, maps.shape);
        Assert.True(maps.min().item<float>() >= 0 && maps.max().item<float>() <= 1 + 1e-6);
    }

    [Fact]
    public void BadInputIsRefusedWithClearMessages()
    {
        using var scope = NewDisposeScope();
        var image = fixture.Test.Images[0];
        var shape = Assert.Throws<ArgumentException>(() => Saliency.Compute(fixture.Model, image));
        Assert.Contains("unsqueeze(0)", shape.Message);
        var noConv = Assert.Throws<ArgumentException>(() => GradCam.Compute(fixture.Model, image.unsqueeze(0)));
        Assert.Contains("IConvolutionalFeatures", noConv.Message);
        Assert.Throws<ArgumentException>(() => new IntegratedGradients().Attribute(fixture.Model, image.unsqueeze(0), tensor(new long[] { 1, 2 })));
        Assert.Throws<ArgumentException>(() => new IntegratedGradients().Attribute(fixture.Model, image.unsqueeze(0), baseline: zeros(3, 28, 28)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients(steps: 0));
    }
}
