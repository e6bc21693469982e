using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Models;

[Collection(ModelsCollection.Name)]
public class ModelZooTests
{
    [Fact]
    public void ListsTheFiveArchitectures()
    {
        Assert.Equal(new[] { "linear", "mlp", "kolter-madry-cnn", "small-cnn", "tanh-cnn" }, ModelZoo.Architectures);
    }

    [Fact]
    public void CreatesEachArchitectureAndRecognizesItByType()
    {
        using var scope = NewDisposeScope();
        var expectedTypes = new Dictionary<string, Type>
        {
            ["linear"] = typeof(LinearClassifier),
            ["mlp"] = typeof(Mlp),
            ["kolter-madry-cnn"] = typeof(KolterMadryCnn),
            ["small-cnn"] = typeof(SmallCnn),
            ["tanh-cnn"] = typeof(TanhCnn),
        };
        foreach (string architecture in ModelZoo.Architectures)
        {
            using var model = ModelZoo.Create(architecture, numClasses: 7);
            Assert.IsType(expectedTypes[architecture], model);
            Assert.Equal(architecture, ModelZoo.ArchitectureOf(model));
            Assert.True(model.training);
        }
    }

    [Fact]
    public void NamesAreMatchedIgnoringCaseAndSpaces()
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("  Small-CNN ");
        Assert.IsType<SmallCnn>(model);
    }

    [Fact]
    public void AnUnknownNameListsTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet18"));
        Assert.Contains("'resnet18'", error.Message);
        foreach (string known in ModelZoo.Architectures)
            Assert.Contains($"'{known}'", error.Message);
    }

    [Fact]
    public void AModuleFromOutsideTheZooHasNoArchitectureName()
    {
        using var scope = NewDisposeScope();
        using var foreign = nn.Linear(784, 10);
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.ArchitectureOf(foreign));
        Assert.Contains("Linear", error.Message);
        Assert.Equal(7850, ModelZoo.ParameterCount(foreign));
    }

    [Fact]
    public void DescribeListsLayersShapesAndTheTotal()
    {
        using var scope = NewDisposeScope();
        using var model = new KolterMadryCnn();
        string text = ModelZoo.Describe(model);
        Assert.StartsWith("KolterMadryCnn ('kolter-madry-cnn', 10 classes), training mode, on cpu", text);
        Assert.Contains("layers.conv1", text);
        Assert.Contains("Conv2d", text);
        Assert.Contains("weight (32, 1, 3, 3), bias (32)", text);
        Assert.Contains("= 313,700", text); // fc1: 3136 * 100 + 100
        Assert.Contains("layers.flatten", text);
        Assert.DoesNotContain(" \n", text.ReplaceLineEndings("\n"));
        Assert.EndsWith("Parameters: 379,702", text);
        model.eval();
        Assert.Contains("eval mode", ModelZoo.Describe(model));
    }

    [Fact]
    public void DescribeCountsFrozenParametersSeparately()
    {
        using var scope = NewDisposeScope();
        using var model = new LinearClassifier();
        foreach (var p in model.parameters()) p.requires_grad = false;
        Assert.EndsWith("Parameters: 7,850 (0 trainable)", ModelZoo.Describe(model));
    }
}
