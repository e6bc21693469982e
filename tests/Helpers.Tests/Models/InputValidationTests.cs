using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Models;

[Collection(ModelsCollection.Name)]
public class InputValidationTests
{
    public static TheoryData<string> AllArchitectures => new() { "linear", "mlp", "kolter-madry-cnn", "small-cnn" };

    private static ArgumentException Reject(string architecture, Func<Tensor> input)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(architecture);
        return Assert.Throws<ArgumentException>(() => model.call(input()));
    }

    [Fact]
    public void AMissingBatchDimensionIsExplained()
    {
        var error = Reject("kolter-madry-cnn", () => rand(3, 28, 28));
        Assert.StartsWith("KolterMadryCnn expects images shaped (N, 1, 28, 28); got (3, 28, 28).", error.Message);
        Assert.Contains("x.unsqueeze(0)", error.Message);
        Assert.Contains("x.unsqueeze(1)", error.Message); // or 3 images without their channel dimension
        Assert.Equal("x", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(AllArchitectures))]
    public void ASingleImageWithoutBatchDimensionIsExplained(string architecture)
    {
        var error = Reject(architecture, () => rand(1, 28, 28));
        Assert.Contains("got (1, 28, 28)", error.Message);
        Assert.Contains("Add a batch dimension with x.unsqueeze(0).", error.Message);
    }

    [Theory]
    [MemberData(nameof(AllArchitectures))]
    public void OtherWrongShapesAreExplained(string architecture)
    {
        Assert.Contains("x.permute(0, 3, 1, 2)", Reject(architecture, () => rand(2, 28, 28, 1)).Message);
        Assert.Contains("1 channel, not 3", Reject(architecture, () => rand(2, 3, 28, 28)).Message);
        Assert.Contains("28x28 grayscale", Reject(architecture, () => rand(2, 1, 32, 32)).Message);
        Assert.Contains("x.reshape(1, 1, 28, 28)", Reject(architecture, () => rand(28, 28)).Message);
        Assert.Contains("got ()", Reject(architecture, () => tensor(1f)).Message);
    }

    [Theory]
    [InlineData("kolter-madry-cnn", "KolterMadryCnn")]
    [InlineData("small-cnn", "SmallCnn")]
    public void ConvolutionalModelsRejectFlattenedImages(string architecture, string typeName)
    {
        var error = Reject(architecture, () => rand(4, 784));
        Assert.StartsWith($"{typeName} expects images shaped (N, 1, 28, 28); got (4, 784).", error.Message);
        Assert.Contains("x.reshape(-1, 1, 28, 28)", error.Message);
    }

    [Theory]
    [InlineData("linear", "LinearClassifier")]
    [InlineData("mlp", "Mlp")]
    public void FlatModelsNameBothAcceptedShapes(string architecture, string typeName)
    {
        var error = Reject(architecture, () => rand(4, 785));
        Assert.StartsWith($"{typeName} expects images shaped (N, 1, 28, 28) or flattened (N, 784); got (4, 785).", error.Message);
        Assert.Contains("x.unsqueeze(0)", Reject(architecture, () => rand(784)).Message);
    }

    [Theory]
    [MemberData(nameof(AllArchitectures))]
    public void WrongElementTypesAreExplained(string architecture)
    {
        var doubles = Reject(architecture, () => rand(2, 1, 28, 28, dtype: ScalarType.Float64));
        Assert.Contains("float32", doubles.Message);
        Assert.Contains("x.to(ScalarType.Float32)", doubles.Message);
        var bytes = Reject(architecture, () => zeros(2, 1, 28, 28, dtype: ScalarType.Byte));
        Assert.Contains("divide by 255", bytes.Message);
    }
}
