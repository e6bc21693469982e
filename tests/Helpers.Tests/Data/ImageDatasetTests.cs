using ModelSecurity.Data;
using ModelSecurity.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Data;

[Collection(TorchCollection.Name)]
public class ImageDatasetTests
{
    private static readonly string[] Three = ["a", "b", "c"];

    private static ArgumentException Invalid(Func<Tensor> images, Func<Tensor> labels)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        return Assert.Throws<ArgumentException>(() => new ImageDataset("bad", images(), labels(), Three));
    }

    [Fact]
    public void TheConstructorExplainsWhatIsWrong()
    {
        Tensor GoodImages() => rand(4, 1, 2, 2);
        Tensor GoodLabels() => tensor(new long[] { 0, 1, 2, 0 });

        Assert.Contains("float32", Invalid(() => rand(4, 1, 2, 2, dtype: ScalarType.Float64), GoodLabels).Message);
        Assert.Contains("(N, C, H, W)", Invalid(() => rand(4, 2, 2), GoodLabels).Message);
        Assert.Contains("int64", Invalid(GoodImages, () => tensor(new int[] { 0, 1, 2, 0 })).Message);
        Assert.Contains("shape (N)", Invalid(GoodImages, () => zeros(4, 1, dtype: ScalarType.Int64)).Message);
        Assert.Contains("4 images but 3 labels", Invalid(GoodImages, () => tensor(new long[] { 0, 1, 2 })).Message);
        var range = Invalid(GoodImages, () => tensor(new long[] { 0, 1, 3, 0 }));
        Assert.Contains("0..3", range.Message);
        Assert.Contains("0..2", range.Message);
        Assert.Contains("-1..2", Invalid(GoodImages, () => tensor(new long[] { 0, -1, 2, 0 })).Message);
        Assert.Contains("outside [0, 1]", Invalid(() => rand(4, 1, 2, 2) * 255, GoodLabels).Message);
        Assert.Contains("NaN", Invalid(() => full(4, 1, 2, 2, float.NaN), GoodLabels).Message);
    }

    [Fact]
    public void TheDataSetOwnsItsTensorsBeyondTheDisposeScopeTheyWereMadeIn()
    {
        TorchRuntime.EnsureLoaded();
        ImageDataset data;
        using (var scope = NewDisposeScope())
            data = new ImageDataset("owned", zeros(3, 1, 2, 2), tensor(new long[] { 0, 1, 2 }), Three);
        Assert.False(data.Images.IsInvalid);
        Assert.Equal(3L, data.Labels.sum().item<long>());
        data.Dispose();
        Assert.True(data.Images.IsInvalid);
        Assert.True(data.Labels.IsInvalid);
        data.Dispose();
        Assert.Throws<ObjectDisposedException>(() => data.Take(1));
    }

    [Fact]
    public void SubsetIsDeterministicPerSeedWithoutRepetitionAndWithinBounds()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(100);
        using var a = data.Subset(30, seed: 5);
        using var b = data.Subset(30, seed: 5);
        using var c = data.Subset(30, seed: 6);
        long[] idsA = TestData.Ids(a.Images, 100), idsB = TestData.Ids(b.Images, 100), idsC = TestData.Ids(c.Images, 100);
        Assert.Equal(30, a.Count);
        Assert.Equal(idsA, idsB);
        Assert.NotEqual(idsA, idsC);
        Assert.Equal(30, idsA.Distinct().Count());
        Assert.All(idsA, id => Assert.InRange(id, 0, 99));
        Assert.Equal(idsA.Select(id => id % 10), a.Labels.data<long>().ToArray()); // labels travel with their images

        var tooMany = Assert.Throws<ArgumentException>(() => data.Subset(101, seed: 0));
        Assert.Contains("101", tooMany.Message);
        Assert.Contains("100", tooMany.Message);
        Assert.Throws<ArgumentException>(() => data.Subset(-1, seed: 0));
        using var none = data.Subset(0, seed: 0);
        Assert.Equal(0, none.Count);
    }

    [Fact]
    public void AValidationSplitIsDisjointFromTheTrainingPartCoversEverythingAndRepeatsPerSeed()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(100);
        var (train, validation) = data.SplitValidation(20, seed: 3);
        var (train2, validation2) = data.SplitValidation(20, seed: 3);
        var (_, otherValidation) = data.SplitValidation(20, seed: 4);
        long[] trainIds = TestData.Ids(train.Images, 100), validationIds = TestData.Ids(validation.Images, 100);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, validation.Count);
        Assert.Empty(trainIds.Intersect(validationIds));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), trainIds.Concat(validationIds).Order());
        Assert.Equal(validationIds, TestData.Ids(validation2.Images, 100));
        Assert.Equal(trainIds, TestData.Ids(train2.Images, 100));
        Assert.NotEqual(validationIds, TestData.Ids(otherValidation.Images, 100));
        Assert.Equal(validationIds.Select(id => id % 10), validation.Labels.data<long>().ToArray());
        Assert.Contains("between 1 and 99", Assert.Throws<ArgumentException>(() => data.SplitValidation(100)).Message);
        Assert.Throws<ArgumentException>(() => data.SplitValidation(0));
    }

    [Fact]
    public void SubsetOfEverythingIsAnIndependentCopy()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(20);
        var copy = data.Subset(20, seed: 1);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), TestData.Ids(copy.Images, 20));
        Assert.True(copy.Images.eq(data.Images).all().item<bool>());
        copy.Images.zero_();
        copy.Dispose();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), TestData.Ids(data.Images, 20));
    }

    [Fact]
    public void TakeAndSelectPickTheRequestedExamples()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(12);
        using var first = data.Take(3);
        Assert.Equal(new long[] { 0, 1, 2 }, TestData.Ids(first.Images, 12));
        Assert.Throws<ArgumentException>(() => data.Take(13));

        using var chosen = data.Select([11, 0, 11]);
        Assert.Equal(new long[] { 11, 0, 11 }, TestData.Ids(chosen.Images, 12));
        Assert.Equal(new long[] { 1, 0, 1 }, chosen.Labels.data<long>().ToArray());
        var bad = Assert.Throws<ArgumentException>(() => data.Select([0, 12]));
        Assert.Contains("indices[1] = 12", bad.Message);
        Assert.Equal(data.ClassNames, chosen.ClassNames);
    }

    [Fact]
    public void GetReturnsABatchOfOneThatCanBeChangedSafely()
    {
        using var scope = NewDisposeScope();
        using var data = TestData.Dataset(8);
        var (image, label) = data.Get(5);
        Assert.Equal(new long[] { 1, 1, 2, 2 }, image.shape);
        Assert.Equal(new long[] { 1 }, label.shape);
        Assert.Equal(new long[] { 5 }, TestData.Ids(image, 8));
        Assert.Equal(5L, label.item<long>());
        image.add_(0.5f);
        Assert.Equal(new long[] { 5 }, TestData.Ids(data.Get(5).Images, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Get(8));
    }

    [Fact]
    public void FromIdxScalesPixelsTo0To1AndAddsTheChannel()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        IdxFile.Write(temp.File("images"), new IdxArray(IdxType.UByte, [2, 1, 3], [0, 51, 255, 102, 204, 0]), gzip: true);
        IdxFile.Write(temp.File("labels"), new IdxArray(IdxType.UByte, [2], [2, 0]), gzip: false);
        using var data = ImageDataset.FromIdx("tiny", temp.File("images"), temp.File("labels"), Three);
        Assert.Equal(new long[] { 2, 1, 1, 3 }, data.Images.shape);
        Assert.Equal(new[] { 0f, 0.2f, 1f, 0.4f, 0.8f, 0f }, data.Images.data<float>().ToArray());
        Assert.Equal(new long[] { 2, 0 }, data.Labels.data<long>().ToArray());
        Assert.Equal("tiny: 2 images of 1×1×3, 3 classes", data.ToString());
    }

    [Fact]
    public void FromIdxRejectsFilesThatDoNotBelongTogether()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        string images = temp.File("images.gz"), labels = temp.File("labels.gz"), other = temp.File("other.gz");
        IdxFile.Write(images, TestData.IdxImages(5, 4, 4), gzip: true);
        IdxFile.Write(labels, TestData.IdxLabels(6), gzip: true);
        var count = Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx("x", images, labels, FashionMnist.ClassNames));
        Assert.Contains(images, count.Message);
        Assert.Contains(labels, count.Message);
        Assert.Contains("5 images", count.Message);
        Assert.Contains("6 labels", count.Message);

        IdxFile.Write(labels, TestData.IdxLabels(5), gzip: true);
        var swapped = Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx("x", labels, images, FashionMnist.ClassNames));
        Assert.Contains("swapped", swapped.Message);

        IdxFile.Write(other, new IdxArray(IdxType.UByte, [5], [0, 1, 2, 3, 10]), gzip: true);
        var range = Assert.Throws<InvalidDataException>(() => ImageDataset.FromIdx("x", images, other, FashionMnist.ClassNames));
        Assert.Contains(other, range.Message);
        Assert.Contains("label 10 at index 4", range.Message);
    }

    [Fact]
    public void TheFingerprintNamesTheExactRowsAndLabels()
    {
        TorchRuntime.EnsureLoaded();
        using var data = new ImageDataset("four", rand(4, 1, 2, 2, generator: new Generator(3)), tensor(new long[] { 0, 1, 2, 0 }), Three);
        using var copy = data.Take(4);
        using var withoutOne = data.Select([0, 1, 3]);
        using var reordered = data.Select([1, 0, 2, 3]);
        using var relabelled = new ImageDataset("four", data.Images.clone(), tensor(new long[] { 0, 1, 2, 1 }), Three);

        string print = data.Fingerprint();
        Assert.Matches("^[0-9a-f]{16}$", print);
        Assert.Equal(print, copy.Fingerprint());                 // a copy, another name: same examples
        Assert.NotEqual(print, withoutOne.Fingerprint());
        Assert.NotEqual(print, reordered.Fingerprint());
        Assert.NotEqual(print, relabelled.Fingerprint());
        Assert.Equal(print, data.Fingerprint());                 // reading it changes nothing
    }
}
