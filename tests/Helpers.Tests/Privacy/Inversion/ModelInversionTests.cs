using ModelSecurity.Privacy.Inversion;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy.Inversion;

public class ModelInversionTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    [Fact]
    public void InversionRaisesTheTargetLogitAndLeavesTheModelAlone()
    {
        float[] before = fixture.Model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        var result = ModelInversion.Reconstruct(fixture.Model, [0, 3, 7], [1, 28, 28], new InversionOptions { Steps = 60 });
        using var images = result.Images;

        Assert.Equal(new long[] { 3, 1, 28, 28 }, images.shape);
        Assert.True(images.min().item<float>() >= 0 && images.max().item<float>() <= 1);
        for (int k = 0; k < 3; k++)
        {
            Assert.True(result.FinalLogits[k] > result.InitialLogits[k] + 1, $"class {result.Classes[k]}: logit {result.InitialLogits[k]:F2} → {result.FinalLogits[k]:F2}");
            Assert.True(result.FinalProbabilities[k] > 0.5, $"class {result.Classes[k]}: probability {result.FinalProbabilities[k]:P1}");
        }
        using (no_grad())
        using (var predicted = fixture.Model.forward(images).argmax(1))
            Assert.Equal(new long[] { 0, 3, 7 }, predicted.data<long>().ToArray());

        float[] after = fixture.Model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.Equal(before, after);
        Assert.All(fixture.Model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Throws<ArgumentException>(() => ModelInversion.Reconstruct(fixture.Model, [10], [1, 28, 28]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelInversion.Reconstruct(fixture.Model, [1], [1, 28, 28], new InversionOptions { Steps = 0 }));
    }

    [Fact]
    public void TotalVariationOfAConstantImageIsZeroAndOfAStripeIsItsEdge()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0f, ModelInversion.TotalVariation(full(new long[] { 1, 1, 5, 5 }, 0.3f)).item<float>());
        var stripe = zeros(1, 1, 4, 4);
        stripe[0, 0, TensorIndex.Colon, 0] = tensor(1f);
        Assert.Equal(4f, ModelInversion.TotalVariation(stripe).item<float>(), 5);
    }
}
