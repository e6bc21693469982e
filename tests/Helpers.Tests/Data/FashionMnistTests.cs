using ModelSecurity.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Data;

[Collection(TorchCollection.Name)]
public class FashionMnistTests
{
    /// <summary>Copies the test split and SHA256SUMS of the shipped Fashion-MNIST into a temporary folder.</summary>
    private static TempFolder CopyOfTestSplit()
    {
        var temp = new TempFolder();
        foreach (string name in new[] { "SHA256SUMS", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            File.Copy(Path.Combine(CoursePaths.FashionMnistDirectory, name), temp.File(name));
        return temp;
    }

    [Fact]
    public void TheShippedTestSplitLoadsWithTheExpectedShapeLabelsAndRange()
    {
        using var scope = NewDisposeScope();
        using var test = FashionMnist.Load(DataSplit.Test);
        Assert.Equal("Fashion-MNIST test", test.Name);
        Assert.Equal(10000, test.Count);
        Assert.Equal(10, test.NumClasses);
        Assert.Equal(new long[] { 10000, 1, 28, 28 }, test.Images.shape);
        Assert.Equal(ScalarType.Float32, test.Images.dtype);
        Assert.Equal(new long[] { 10000 }, test.Labels.shape);
        Assert.Equal(ScalarType.Int64, test.Labels.dtype);
        Assert.Equal(0f, test.Images.min().item<float>());
        Assert.Equal(1f, test.Images.max().item<float>());
        float mean = test.Images.mean().item<float>();
        Assert.InRange(mean, 0.2f, 0.4f); // Fashion-MNIST's mean pixel is about 0.286
        Assert.Equal(Enumerable.Repeat(1000L, 10), test.Labels.bincount(null).data<long>().ToArray());
        Assert.Equal(FashionMnist.ClassNames, test.ClassNames);
    }

    [Fact]
    public void TheShippedTrainSplitLoadsWith6000ExamplesPerClass()
    {
        using var scope = NewDisposeScope();
        using var train = FashionMnist.Load(DataSplit.Train);
        Assert.Equal("Fashion-MNIST train", train.Name);
        Assert.Equal(new long[] { 60000, 1, 28, 28 }, train.Images.shape);
        Assert.Equal(Enumerable.Repeat(6000L, 10), train.Labels.bincount(null).data<long>().ToArray());
    }

    [Fact]
    public void ClassNamesAreTheTenFashionMnistClassesAndCannotBeAlteredGlobally()
    {
        string[] names = FashionMnist.ClassNames;
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], names);
        names[0] = "changed";
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
    }

    [Fact]
    public void ATamperedCopyIsRejectedNamingTheFile()
    {
        using var temp = CopyOfTestSplit();
        string labels = temp.File("t10k-labels-idx1-ubyte.gz");
        TestData.FlipByte(labels);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(DataSplit.Test, temp.Path));
        Assert.Contains(labels, e.Message);
        Assert.Contains("tampered", e.Message);
    }

    [Fact]
    public void VerificationIsCachedButAChangedFileIsCheckedAgain()
    {
        using var scope = NewDisposeScope();
        using var temp = CopyOfTestSplit();
        string images = temp.File("t10k-images-idx3-ubyte.gz");
        FashionMnist.Load(DataSplit.Test, temp.Path).Dispose();
        FashionMnist.Load(DataSplit.Test, temp.Path).Dispose();
        Assert.Equal(1, VerifiedFileCache.HashCount(images));

        DateTime stamp = File.GetLastWriteTimeUtc(images);
        TestData.FlipByte(images, 5000);
        File.SetLastWriteTimeUtc(images, stamp.AddSeconds(1)); // as any edit would
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(DataSplit.Test, temp.Path));
        Assert.Contains(images, e.Message);
        Assert.Equal(2, VerifiedFileCache.HashCount(images));
    }

    [Fact]
    public void AFileMissingFromTheChecksumListIsNotRead()
    {
        using var temp = CopyOfTestSplit();
        File.WriteAllLines(temp.File("SHA256SUMS"),
            File.ReadAllLines(temp.File("SHA256SUMS")).Where(l => !l.Contains("t10k-labels", StringComparison.Ordinal)));
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(DataSplit.Test, temp.Path));
        Assert.Contains("t10k-labels-idx1-ubyte.gz", e.Message);
        Assert.Contains("no checksum", e.Message);
    }

    [Fact]
    public void MissingFilesAreReportedWithTheirPath()
    {
        using var temp = CopyOfTestSplit();
        var noTrain = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(DataSplit.Train, temp.Path));
        Assert.Contains(temp.File("train-images-idx3-ubyte.gz"), noTrain.Message);
        File.Delete(temp.File("SHA256SUMS"));
        var noSums = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(DataSplit.Test, temp.Path));
        Assert.Contains(temp.File("SHA256SUMS"), noSums.Message);
    }
}
