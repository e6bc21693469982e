using System.Text;
using ModelSecurity.Models;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using static ModelSecurity.Tests.Models.CheckpointTestData;

namespace ModelSecurity.Tests.Models;

[Collection(ModelsCollection.Name)]
public sealed class CheckpointFailureTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string SaveValid(string architecture, string name, int numClasses = 10)
    {
        using var model = TrainedLooking(architecture, seed: 20, numClasses);
        string path = _folder.File(name);
        Checkpoint.Save(model, path, FullInfo(architecture, numClasses));
        return path;
    }

    private static InvalidDataException AssertUnreadable(string path)
    {
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        using var mlp = new Mlp();
        Assert.Throws<InvalidDataException>(() => Checkpoint.LoadInto(mlp, path));
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWithInfo(path));
        Assert.Contains(path, error.Message);
        return error;
    }

    [Fact]
    public void LoadingIntoAnotherArchitectureIsAMismatch()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("kolter-madry-cnn", "km.ckpt");
        manual_seed(21);
        using var mlp = new Mlp();
        var before = mlp.parameters().Select(p => p.clone()).ToList();

        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.LoadInto(mlp, path));
        Assert.Contains($"Checkpoint '{path}' holds a 'kolter-madry-cnn' but the model is a 'mlp'", error.Message);
        Assert.All(mlp.parameters().Zip(before), pair => Assert.True(Same.Values(pair.First, pair.Second))); // untouched
    }

    [Fact]
    public void AnotherNumberOfClassesIsAMismatchNamingTheParameterAndBothShapes()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("small-cnn", "small10.ckpt");
        using var fiveClasses = new SmallCnn(numClasses: 5);
        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.LoadInto(fiveClasses, path));
        Assert.Contains(path, error.Message);
        Assert.Contains("parameter 'classifier.fc3.weight' has shape (10, 200) in the checkpoint but (5, 200) in the model", error.Message);
        Assert.Contains("checkpoint: 'small-cnn' with 10 classes; model: 'small-cnn' with 5 classes", error.Message);
    }

    [Fact]
    public void AnotherHiddenWidthIsAMismatch()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("mlp", "mlp.ckpt");
        using var narrow = new Mlp(hiddenSize: 50);
        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.LoadInto(narrow, path));
        Assert.Contains("'fc1.weight' has shape (200, 784) in the checkpoint but (50, 784) in the model", error.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string path = _folder.File("nothing-here.ckpt");
        var error = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.ReadInfo(path));
        using var mlp = new Mlp();
        Assert.Throws<FileNotFoundException>(() => Checkpoint.LoadInto(mlp, path));
        Assert.Contains("folder", Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(_folder.Path)).Message);
    }

    [Fact]
    public void AFileWithoutTheMagicLineIsNotACheckpoint()
    {
        using var scope = NewDisposeScope();
        string path = _folder.File("notes.txt");
        File.WriteAllText(path, "These are my notes, not a model.");
        var error = AssertUnreadable(path);
        Assert.StartsWith($"File '{path}' is not a model-security checkpoint", error.Message);
        Assert.Contains("MODELSEC-CKPT", error.Message);
        Assert.Contains("not a model-security checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadInfo(path)).Message);
    }

    [Fact]
    public void BareTorchSharpWeightsAreRecognizedAsSuchWithAHint()
    {
        using var scope = NewDisposeScope();
        string path = _folder.File("bare.dat");
        using (var model = new Mlp()) model.save(path);
        Assert.Contains("module.load(path)", AssertUnreadable(path).Message);
    }

    [Fact]
    public void RandomBytesAreNotACheckpoint()
    {
        using var scope = NewDisposeScope();
        string path = _folder.File("random.ckpt");
        File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        AssertUnreadable(path);
        File.WriteAllBytes(path, Array.Empty<byte>());
        AssertUnreadable(path);
    }

    [Fact]
    public void TruncatedFilesAreReportedAsTruncated()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("linear", "whole.ckpt");
        byte[] whole = File.ReadAllBytes(path);
        int jsonEnd = 22 + BitConverter.ToInt32(whole, 18);
        int[] cuts = { 5, 14, 16, 20, 22, 40, jsonEnd - 1, jsonEnd, jsonEnd + 1, jsonEnd + 20, whole.Length / 2, whole.Length - 1 };
        string cut = _folder.File("cut.ckpt");
        foreach (int length in cuts)
        {
            File.WriteAllBytes(cut, whole[..length]);
            var error = AssertUnreadable(cut);
            Assert.True(error.Message.Contains("truncated"), $"cut at {length} of {whole.Length}: {error.Message}");
        }
        // The header alone still reads when only the weights are cut short; loading does not.
        File.WriteAllBytes(cut, whole[..(whole.Length - 1)]);
        Assert.Equal("linear", Checkpoint.ReadInfo(cut).Architecture);
    }

    [Fact]
    public void TrailingBytesAreReported()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("linear", "long.ckpt");
        File.AppendAllText(path, "extra");
        Assert.Contains("5 unexpected bytes follow the weights", AssertUnreadable(path).Message);
    }

    [Fact]
    public void CorruptDescriptionsAreReported()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("linear", "json.ckpt");
        byte[] whole = File.ReadAllBytes(path);
        int jsonLength = BitConverter.ToInt32(whole, 18);
        byte[] weights = whole[(22 + jsonLength)..];

        string Write(string name, byte[] json, int version = 1)
        {
            string file = _folder.File(name);
            using var stream = File.Create(file);
            using var writer = new BinaryWriter(stream);
            writer.Write("MODELSEC-CKPT\n"u8);
            writer.Write(version);
            writer.Write(json.Length);
            writer.Write(json);
            writer.Write(weights);
            return file;
        }

        var garbage = AssertUnreadable(Write("garbage.ckpt", "{ this is not json ]"u8.ToArray()));
        Assert.Contains("description (JSON) cannot be read", garbage.Message);

        var missing = AssertUnreadable(Write("missing.ckpt", """{ "dataset": "mnist", "numClasses": 10, "seed": 1, "formatVersion": 1 }"""u8.ToArray()));
        Assert.Contains("architecture", missing.Message);

        var notUtf8 = AssertUnreadable(Write("latin1.ckpt", new byte[] { 0x7b, 0xff, 0xfe, 0x7d }));
        Assert.Contains("UTF-8", notUtf8.Message);

        var newer = AssertUnreadable(Write("newer.ckpt", Encoding.UTF8.GetBytes(FullInfo("linear").ToJson()), version: 2));
        Assert.Contains("format 2", newer.Message);

        string inconsistent = Write("inconsistent.ckpt", Encoding.UTF8.GetBytes(FullInfo("linear", numClasses: 5).ToJson()));
        var selfContradicting = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(inconsistent));
        Assert.Contains("weights do not match its own description", selfContradicting.Message);
        Assert.Contains("'linear.weight' has shape (10, 784) in the checkpoint but (5, 784) in the model", selfContradicting.Message);

        string unknown = Write("unknown.ckpt", Encoding.UTF8.GetBytes((FullInfo("linear") with { Architecture = "resnet18" }).ToJson()));
        Assert.Contains("'resnet18', which ModelZoo cannot build", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(unknown)).Message);
    }

    /// <summary>
    /// A custom model TorchSharp cannot serialize: its second parameter is a transposed view (not contiguous), and
    /// TorchSharp's tensor writer refuses such tensors after the first parameter has been written.
    /// </summary>
    private sealed class UnserializableModel : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter first = nn.Parameter(randn(64, 64));
        private readonly Parameter second = nn.Parameter(randn(20, 30).t());

        public UnserializableModel() : base(nameof(UnserializableModel)) => RegisterComponents();

        public bool SecondIsContiguous => second.is_contiguous();

        public override Tensor forward(Tensor input) => input.matmul(first);
    }

    [Fact]
    public void AFailedSaveLeavesTheExistingCheckpointIntactAndNoTemporaryFile()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("mlp", "precious.ckpt");
        byte[] good = File.ReadAllBytes(path);

        using var broken = new UnserializableModel();
        Assert.False(broken.SecondIsContiguous);
        var info = FullInfo("mlp") with { Architecture = "unserializable-test-model" };
        var failure = Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(broken, path, info));
        Assert.Contains("non-contiguous", failure.Message);

        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder.Path)); // no temporary file left behind
        using var survivor = Checkpoint.Load(path);
        Assert.IsType<Mlp>(survivor);
    }

    [Fact]
    public void AFailedFirstSaveLeavesNothingBehind()
    {
        using var scope = NewDisposeScope();
        using var broken = new UnserializableModel();
        string path = _folder.File("sub", "never.ckpt");
        var info = FullInfo("mlp") with { Architecture = "unserializable-test-model" };
        Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(broken, path, info));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void ASuccessfulSaveReplacesTheExistingCheckpoint()
    {
        using var scope = NewDisposeScope();
        string path = SaveValid("mlp", "replaced.ckpt");
        using var other = new LinearClassifier();
        Checkpoint.Save(other, path, FullInfo("linear"));
        using var replaced = Checkpoint.Load(path);
        Assert.IsType<LinearClassifier>(replaced);
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder.Path));
    }
}
