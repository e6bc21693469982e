using System.Text.Json.Nodes;
using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static ModelSecurity.Tests.Models.CheckpointTestData;

namespace ModelSecurity.Tests.Models;

[Collection(ModelsCollection.Name)]
public sealed class CheckpointRoundTripTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    [InlineData("kolter-madry-cnn")]
    [InlineData("small-cnn")]
    public void SaveThenLoadReproducesTheOutputsExactly(string architecture)
    {
        using var scope = NewDisposeScope();
        using var original = TrainedLooking(architecture, seed: 10);
        original.eval();
        manual_seed(11);
        var batch = rand(6, 1, 28, 28);
        var expected = original.call(batch);

        string path = _folder.File($"{architecture}.ckpt");
        Checkpoint.Save(original, path, FullInfo(architecture));
        manual_seed(99); // the loaded model starts from other random weights
        using var loaded = Checkpoint.Load(path);

        Assert.Equal(original.GetType(), loaded.GetType());
        Assert.True(Same.Values(expected, loaded.call(batch)));
        using var fresh = ModelZoo.Create(architecture);
        fresh.eval();
        Assert.False(Same.Values(expected, fresh.call(batch))); // the comparison above can fail
    }

    [Fact]
    public void TheDescriptionSurvivesWithEveryField()
    {
        using var scope = NewDisposeScope();
        using var model = TrainedLooking("kolter-madry-cnn", seed: 12);
        CheckpointInfo saved = FullInfo("kolter-madry-cnn");
        string path = _folder.File("km.ckpt");
        Checkpoint.Save(model, path, saved);

        CheckpointInfo read = Checkpoint.ReadInfo(path);
        Assert.Equal("kolter-madry-cnn", read.Architecture);
        Assert.Equal("fashion-mnist", read.Dataset);
        Assert.Equal(10, read.NumClasses);
        Assert.Equal(1234, read.Seed);
        Assert.Equal(0.9123456789012345, read.TestAccuracy);
        Assert.True(JsonNode.DeepEquals(saved.Recipe, read.Recipe));
        Assert.Equal(40, (int)read.Recipe!["attack"]!["steps"]!);
        Assert.Equal(saved.Extra!.OrderBy(kv => kv.Key), read.Extra!.OrderBy(kv => kv.Key));
        Assert.Equal("PGD-trained (ε = 0.1) — for the robustness lab", read.Description);
        Assert.Equal(saved.CreatedUtc.UtcTicks, read.CreatedUtc.UtcTicks);
        Assert.Equal(CheckpointInfo.CurrentLibraryVersion, read.LibraryVersion);
        Assert.Equal(Checkpoint.FormatVersion, read.FormatVersion);
        Assert.Equal(saved, read);

        var (loaded, infoFromLoad) = Checkpoint.LoadWithInfo(path);
        using (loaded) Assert.Equal(saved, infoFromLoad);
    }

    [Fact]
    public void LibraryVersionNamesTheHelpersAndTorchSharp()
    {
        string expected = $"ModelSecurity.Helpers {typeof(Checkpoint).Assembly.GetName().Version!.ToString(3)}; " +
                          $"TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)}";
        Assert.Equal(expected, CheckpointInfo.CurrentLibraryVersion);
        Assert.Contains("TorchSharp 0.107", CheckpointInfo.CurrentLibraryVersion);
    }

    [Fact]
    public void SaveStampsTheVersionsOfTheLibraryThatWroteTheFile()
    {
        using var scope = NewDisposeScope();
        using var model = new LinearClassifier();
        string path = _folder.File("stamped.ckpt");
        Checkpoint.Save(model, path, FullInfo("linear") with { LibraryVersion = "something old", FormatVersion = 0 });
        CheckpointInfo read = Checkpoint.ReadInfo(path);
        Assert.Equal(CheckpointInfo.CurrentLibraryVersion, read.LibraryVersion);
        Assert.Equal(Checkpoint.FormatVersion, read.FormatVersion);
    }

    [Fact]
    public void TheFileStartsWithTheDocumentedHeader()
    {
        using var scope = NewDisposeScope();
        using var model = new LinearClassifier();
        string path = _folder.File("header.ckpt");
        Checkpoint.Save(model, path, FullInfo("linear"));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal("MODELSEC-CKPT\n"u8.ToArray(), bytes[..14]);
        Assert.Equal(1, BitConverter.ToInt32(bytes, 14));
        int jsonLength = BitConverter.ToInt32(bytes, 18);
        var json = JsonNode.Parse(bytes.AsSpan(22, jsonLength))!;
        Assert.Equal("linear", (string)json["architecture"]!);
    }

    [Fact]
    public void LoadedModelsAreInEvalModeOnTheRequestedDevice()
    {
        using var scope = NewDisposeScope();
        using var model = TrainedLooking("small-cnn", seed: 13);
        model.train();
        string path = _folder.File("small.ckpt");
        Checkpoint.Save(model, path, FullInfo("small-cnn"));

        using var loaded = Checkpoint.Load(path, CPU);
        Assert.False(loaded.training);
        Assert.All(loaded.modules(), m => Assert.False(m.training));
        Assert.All(loaded.parameters(), p => Assert.Equal(DeviceType.CPU, p.device_type));
        // Dropout is off: two calls agree.
        var x = rand(2, 1, 28, 28);
        Assert.True(Same.Values(loaded.call(x), loaded.call(x)));
    }

    [Fact]
    public void AnMlpWithAnotherHiddenWidthLoadsWithThatWidth()
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        using var model = new Mlp(numClasses: 4, hiddenSize: 32);
        string path = _folder.File("mlp32.ckpt");
        Checkpoint.Save(model, path, FullInfo("mlp", numClasses: 4));
        using var loaded = Checkpoint.Load(path);
        var mlp = Assert.IsType<Mlp>(loaded);
        Assert.Equal(32, mlp.HiddenSize);
        Assert.Equal(4, mlp.NumClasses);
        model.eval();
        var x = rand(3, 784);
        Assert.True(Same.Values(model.call(x), mlp.call(x)));
    }

    [Fact]
    public void LoadIntoFillsAnExistingModelAndKeepsItsMode()
    {
        using var scope = NewDisposeScope();
        using var source = TrainedLooking("mlp", seed: 15);
        string path = _folder.File("into.ckpt");
        Checkpoint.Save(source, path, FullInfo("mlp"));

        using var target = new Mlp();
        target.train();
        Checkpoint.LoadInto(target, path);
        Assert.True(target.training);
        var x = rand(2, 1, 28, 28);
        Assert.True(Same.Values(source.call(x), target.call(x)));
        Assert.All(target.parameters(), p => Assert.True(p.requires_grad)); // still trainable
    }

    [Fact]
    public void SaveCreatesMissingFolders()
    {
        using var scope = NewDisposeScope();
        using var model = new LinearClassifier();
        string path = Path.Combine(_folder.Path, "a", "b", "model.ckpt");
        Checkpoint.Save(model, path, FullInfo("linear"));
        Assert.True(File.Exists(path));
        Assert.Equal("linear", Checkpoint.ReadInfo(path).Architecture);
    }

    [Fact]
    public void SaveRefusesADescriptionOfAnotherModel()
    {
        using var scope = NewDisposeScope();
        using var model = new KolterMadryCnn();
        string path = _folder.File("refused.ckpt");
        var wrongArchitecture = Assert.Throws<ArgumentException>(() => Checkpoint.Save(model, path, FullInfo("mlp")));
        Assert.Contains("'mlp' but the model is a 'kolter-madry-cnn'", wrongArchitecture.Message);
        var wrongClasses = Assert.Throws<ArgumentException>(() => Checkpoint.Save(model, path, FullInfo("kolter-madry-cnn", numClasses: 5)));
        Assert.Contains("5 classes but the model has 10", wrongClasses.Message);
        var percentage = Assert.Throws<ArgumentException>(
            () => Checkpoint.Save(model, path, FullInfo("kolter-madry-cnn") with { TestAccuracy = 98.7 }));
        Assert.Contains("fraction", percentage.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_folder.Path));
    }
}
