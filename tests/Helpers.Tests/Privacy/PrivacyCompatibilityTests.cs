using ModelSecurity.Models;
using ModelSecurity.Privacy;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy;

public class PrivacyCompatibilityTests
{
    [Fact]
    public void BatchNormIsRefusedWithTheLayerNameAndTheFix()
    {
        manual_seed(1);
        var model = nn.Sequential(("conv1", nn.Conv2d(1, 8, 3)), ("bn1", nn.BatchNorm2d(8)), ("relu", nn.ReLU()),
            ("flat", nn.Flatten()), ("fc", nn.Linear(8 * 26 * 26, 10)));
        var error = Assert.Throws<ArgumentException>(() => new GradSampleModule(model));
        Assert.Equal("model", error.ParamName);
        Assert.Contains("'bn1'", error.Message);
        Assert.Contains("BatchNorm2d", error.Message);
        Assert.Contains("GroupNorm", error.Message);
        Assert.Single(PrivacyCompatibility.Problems(model));
    }

    [Fact]
    public void BatchNormWithoutParametersIsRefusedToo()
    {
        // No parameters, but it still mixes the examples of a batch.
        var model = nn.Sequential(("fc", nn.Linear(4, 4)), ("bn", nn.BatchNorm1d(4, affine: false)));
        Assert.Contains("'bn'", Assert.Throws<ArgumentException>(() => PrivacyCompatibility.Check(model)).Message);
    }

    [Fact]
    public void UnsupportedLayersWithParametersAreNamedAndFrozenOnesAreFine()
    {
        var conv1d = nn.Conv1d(2, 2, 3);
        var model = nn.Sequential(("c1", conv1d), ("flat", nn.Flatten()), ("fc", nn.Linear(2 * 6, 3)));
        string message = Assert.Throws<ArgumentException>(() => PrivacyCompatibility.Check(model)).Message;
        Assert.Contains("'c1' (Conv1d)", message);
        Assert.Contains("supported architecture", message);

        foreach (var p in conv1d.parameters()) p.requires_grad = false;
        Assert.Empty(PrivacyCompatibility.Problems(model));
    }

    [Fact]
    public void GroupedConvolutionsAndInPlaceLayersAreRefused()
    {
        var grouped = nn.Sequential(("depthwise", nn.Conv2d(4, 4, 3, groups: 4)));
        Assert.Contains("groups = 4", Assert.Throws<ArgumentException>(() => PrivacyCompatibility.Check(grouped)).Message);

        var inPlace = nn.Sequential(("fc", nn.Linear(4, 4)), ("relu", nn.ReLU(inplace: true)));
        Assert.Contains("inplace: false", Assert.Throws<ArgumentException>(() => PrivacyCompatibility.Check(inPlace)).Message);
    }

    [Fact]
    public void EveryZooArchitectureIsSupported()
    {
        manual_seed(2);
        foreach (string architecture in ModelZoo.Architectures)
            Assert.Empty(PrivacyCompatibility.Problems(ModelZoo.Create(architecture))); // dropout, pooling, activations: fine
    }

    [Fact]
    public void AModelWithNothingToTrainIsRefused()
    {
        var model = nn.Sequential(("fc", nn.Linear(3, 2)));
        foreach (var p in model.parameters()) p.requires_grad = false;
        Assert.Contains("no trainable parameters", Assert.Throws<ArgumentException>(() => PrivacyCompatibility.Check(model)).Message);
    }
}
