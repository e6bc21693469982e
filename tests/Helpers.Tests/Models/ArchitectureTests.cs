using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Models;

[Collection(ModelsCollection.Name)]
public class ArchitectureTests
{
    // Parameter counts computed by hand from the layer lists (weights + biases).
    private static long Conv(long inChannels, long outChannels, long kernel) => inChannels * outChannels * kernel * kernel + outChannels;
    private static long Dense(long inFeatures, long outFeatures) => inFeatures * outFeatures + outFeatures;

    public static TheoryData<string, long> ExpectedParameterCounts => new()
    {
        { "linear", Dense(784, 10) },                                                    // 7,850
        { "mlp", Dense(784, 200) + Dense(200, 10) },                                     // 159,010
        { "kolter-madry-cnn", Conv(1, 32, 3) + Conv(32, 32, 3) + Conv(32, 64, 3) + Conv(64, 64, 3)
                              + Dense(7 * 7 * 64, 100) + Dense(100, 10) },               // 379,702
        { "small-cnn", Conv(1, 32, 3) + Conv(32, 32, 3) + Conv(32, 64, 3) + Conv(64, 64, 3)
                       + Dense(64 * 4 * 4, 200) + Dense(200, 200) + Dense(200, 10) },    // 312,202
        { "tanh-cnn", Conv(1, 16, 8) + Conv(16, 32, 4) + Dense(32 * 4 * 4, 32) + Dense(32, 10) },  // 26,010
    };

    [Fact]
    public void HandComputedCountsAreTheExpectedNumbers()
    {
        var counts = ExpectedParameterCounts.ToDictionary(row => (string)row[0], row => (long)row[1]);
        Assert.Equal(7_850, counts["linear"]);
        Assert.Equal(159_010, counts["mlp"]);
        Assert.Equal(379_702, counts["kolter-madry-cnn"]);
        Assert.Equal(312_202, counts["small-cnn"]);
        Assert.Equal(26_010, counts["tanh-cnn"]);
    }

    [Theory]
    [MemberData(nameof(ExpectedParameterCounts))]
    public void EachArchitectureGivesLogitsPerImageAndHasTheExpectedParameterCount(string architecture, long parameters)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var model = ModelZoo.Create(architecture);
        model.eval();
        var logits = model.call(rand(5, 1, 28, 28));
        Assert.Equal(new long[] { 5, 10 }, logits.shape);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        Assert.Equal(parameters, ModelZoo.ParameterCount(model));
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    [InlineData("kolter-madry-cnn")]
    [InlineData("small-cnn")]
    [InlineData("tanh-cnn")]
    public void NumberOfClassesIsConfigurable(string architecture)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(architecture, numClasses: 3);
        model.eval();
        Assert.Equal(new long[] { 2, 3 }, model.call(rand(2, 1, 28, 28)).shape);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    public void LinearModelAndMlpAcceptFlattenedImagesWithTheSameResult(string architecture)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = ModelZoo.Create(architecture);
        var images = rand(4, 1, 28, 28);
        var fromImages = model.call(images);
        var fromVectors = model.call(images.reshape(4, 784));
        Assert.Equal(new long[] { 4, 10 }, fromVectors.shape);
        Assert.True(Same.Values(fromImages, fromVectors));
    }

    [Fact]
    public void MlpHiddenSizeIsConfigurable()
    {
        using var scope = NewDisposeScope();
        using var mlp = new Mlp(hiddenSize: 64);
        Assert.Equal(64, mlp.HiddenSize);
        Assert.Equal(784 * 64 + 64 + 64 * 10 + 10, ModelZoo.ParameterCount(mlp));
        Assert.Equal(new long[] { 3, 10 }, mlp.call(rand(3, 784)).shape);
    }

    [Fact]
    public void ModelsLearnWithGradientsFlowingToTheInput()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        foreach (string architecture in ModelZoo.Architectures.Where(a => a != "small-cnn")) // small-cnn: zero last layer, see below
        {
            using var model = ModelZoo.Create(architecture);
            var x = rand(2, 1, 28, 28).requires_grad_(true);
            nn.functional.cross_entropy(model.call(x), tensor(new long[] { 3, 7 })).backward();
            Assert.True(x.grad!.abs().sum().item<float>() > 0, architecture);
        }
    }

    [Fact]
    public void SmallCnnIsInitializedLikeTheTradesReferenceCode()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new SmallCnn();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(
            new[]
            {
                "feature_extractor.conv1.weight", "feature_extractor.conv1.bias", "feature_extractor.conv2.weight",
                "feature_extractor.conv2.bias", "feature_extractor.conv3.weight", "feature_extractor.conv3.bias",
                "feature_extractor.conv4.weight", "feature_extractor.conv4.bias", "classifier.fc1.weight",
                "classifier.fc1.bias", "classifier.fc2.weight", "classifier.fc2.bias", "classifier.fc3.weight",
                "classifier.fc3.bias",
            },
            parameters.Keys);
        // Last layer zero: an untrained SmallCNN outputs zero logits.
        Assert.Equal(0f, parameters["classifier.fc3.weight"].abs().max().item<float>());
        model.eval();
        Assert.Equal(0f, model.call(rand(2, 1, 28, 28)).abs().max().item<float>());
        // Convolutions: Kaiming-normal weights (std = sqrt(2 / fan_in)), zero biases.
        Assert.Equal(0f, parameters["feature_extractor.conv4.bias"].abs().max().item<float>());
        double std = parameters["feature_extractor.conv4.weight"].std().item<float>();
        Assert.InRange(std, 0.9 * Math.Sqrt(2.0 / (64 * 9)), 1.1 * Math.Sqrt(2.0 / (64 * 9)));
    }

    [Fact]
    public void SmallCnnDropoutActsInTrainingModeOnly()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = new SmallCnn();
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.1);
        var x = rand(3, 1, 28, 28);
        model.train();
        Assert.False(Same.Values(model.call(x), model.call(x)));
        model.eval();
        Assert.True(Same.Values(model.call(x), model.call(x)));
    }

    [Fact]
    public void KolterMadryCnnHasTheTutorialsLayers()
    {
        using var scope = NewDisposeScope();
        using var model = new KolterMadryCnn();
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 32, 1, 3, 3 }, shapes["layers.conv1.weight"]);
        Assert.Equal(new long[] { 32, 32, 3, 3 }, shapes["layers.conv2.weight"]);
        Assert.Equal(new long[] { 64, 32, 3, 3 }, shapes["layers.conv3.weight"]);
        Assert.Equal(new long[] { 64, 64, 3, 3 }, shapes["layers.conv4.weight"]);
        Assert.Equal(new long[] { 100, 3136 }, shapes["layers.fc1.weight"]);
        Assert.Equal(new long[] { 10, 100 }, shapes["layers.fc2.weight"]);
        Assert.Equal(12, shapes.Count);
    }

    [Fact]
    public void BadConstructorArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearClassifier(numClasses: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Mlp(hiddenSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmallCnn(dropout: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelZoo.Create("kolter-madry-cnn", numClasses: 0));
    }
}
