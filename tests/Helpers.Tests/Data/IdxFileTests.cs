using System.IO.Compression;
using ModelSecurity.Data;

namespace ModelSecurity.Tests.Data;

public class IdxFileTests
{
    private static byte[] Header(byte type, params int[] dims)
    {
        var header = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (int d in dims) header.AddRange(BitConverter.GetBytes(d).Reverse());
        return header.ToArray();
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(raw);
        return memory.ToArray();
    }

    private static InvalidDataException AssertInvalid(string path, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(Path.GetFullPath(path), e.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, e.Message);
        Assert.Contains("Re-download or restore", e.Message);
        return e;
    }

    [Theory]
    [InlineData(IdxType.UByte, true)]
    [InlineData(IdxType.UByte, false)]
    [InlineData(IdxType.SByte, true)]
    [InlineData(IdxType.Int16, false)]
    [InlineData(IdxType.Int32, true)]
    [InlineData(IdxType.Float32, false)]
    [InlineData(IdxType.Float64, true)]
    public void WriteThenReadGivesBackTheSameArray(IdxType type, bool gzip)
    {
        using var temp = new TempFolder();
        int[] dims = [3, 5, 2];
        byte[] bytes = new byte[30 * IdxArray.ElementSize(type)];
        new Random(7).NextBytes(bytes);
        string path = temp.File("array.idx");
        IdxFile.Write(path, new IdxArray(type, dims, bytes), gzip);

        byte[] onDisk = File.ReadAllBytes(path);
        Assert.Equal(gzip ? new byte[] { 0x1F, 0x8B } : new byte[] { 0, 0 }, onDisk[..2]);
        IdxArray back = IdxFile.Read(path);
        Assert.Equal(type, back.Type);
        Assert.Equal(dims, back.Dimensions);
        Assert.Equal(bytes, back.Bytes);
    }

    [Fact]
    public void HeaderAndPayloadAreBigEndianAsInTheMnistFormat()
    {
        using var temp = new TempFolder();
        string path = temp.File("ints.idx");
        byte[] payload = [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE]; // 258 and -2, big-endian
        File.WriteAllBytes(path, [.. Header(0x0C, 2), .. payload]);
        IdxArray read = IdxFile.Read(path);
        Assert.Equal(IdxType.Int32, read.Type);
        Assert.Equal(new[] { 2 }, read.Dimensions);
        Assert.Equal(payload, read.Bytes);

        IdxFile.Write(path, read, gzip: false);
        Assert.Equal([.. Header(0x0C, 2), .. payload], File.ReadAllBytes(path));
    }

    [Fact]
    public void GzipIsRecognisedByItsMagicNotByTheExtension()
    {
        using var temp = new TempFolder();
        IdxArray array = TestData.IdxImages(4, 3, 3);
        IdxFile.Write(temp.File("zipped.idx"), array, gzip: true);
        IdxFile.Write(temp.File("plain.gz"), array, gzip: false);
        Assert.Equal(array.Bytes, IdxFile.Read(temp.File("zipped.idx")).Bytes);
        Assert.Equal(array.Bytes, IdxFile.Read(temp.File("plain.gz")).Bytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATruncatedFileIsRejectedWithThePromisedAndActualSizes(bool gzip)
    {
        using var temp = new TempFolder();
        string path = temp.File("train-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        byte[] raw = [.. Header(0x08, 10, 28, 28), .. new byte[1000]];
        File.WriteAllBytes(path, gzip ? Gzip(raw) : raw);
        var e = AssertInvalid(path, "truncated", "7840 bytes of pixel data", "1000");
        Assert.IsNotType<FileNotFoundException>(e);
    }

    [Fact]
    public void AGzipFileCutShortIsRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("cut.gz");
        IdxFile.Write(path, TestData.IdxImages(50), gzip: true);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        AssertInvalid(path);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    public void AGzipFileMissingPartOfItsTrailerIsRejected(int cut)
    {
        // The decompressor itself accepts these: the data is complete, only the CRC/length trailer is cut.
        using var temp = new TempFolder();
        string path = temp.File("trailer.gz");
        IdxFile.Write(path, TestData.IdxImages(50), gzip: true);
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..^cut]);
        AssertInvalid(path, "truncated");
    }

    [Fact]
    public void AFileEndingInsideTheHeaderIsRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("short.idx");
        File.WriteAllBytes(path, Header(0x08, 10, 28, 28)[..9]);
        AssertInvalid(path, "truncated", "header");
    }

    [Fact]
    public void WrongMagicIsRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("magic.idx");
        byte[] bytes = [.. Header(0x08, 4), 1, 2, 3, 4];
        bytes[1] = 0x03;
        File.WriteAllBytes(path, bytes);
        AssertInvalid(path, "not an IDX file", "0x00 0x03");

        File.WriteAllText(path, "<html><body>403 Forbidden</body></html>");
        AssertInvalid(path, "not an IDX file", "HTML");
    }

    [Theory]
    [InlineData(0x07)]
    [InlineData(0x0A)]
    [InlineData(0xFF)]
    public void AnUnknownTypeCodeIsRejected(byte code)
    {
        using var temp = new TempFolder();
        string path = temp.File("type.idx");
        File.WriteAllBytes(path, [.. Header(code, 4), 1, 2, 3, 4]);
        AssertInvalid(path, $"unknown IDX type code 0x{code:X2}");
    }

    [Fact]
    public void DimensionCountsOutside1To4AreRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("rank.idx");
        File.WriteAllBytes(path, [0, 0, 0x08, 0, 1, 2]);
        AssertInvalid(path, "0 dimensions", "1 to 4");
        File.WriteAllBytes(path, [.. Header(0x08, 1, 1, 1, 1, 1), 9]);
        AssertInvalid(path, "5 dimensions", "1 to 4");
    }

    [Fact]
    public void NonPositiveAndOverflowingSizesAreRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("sizes.idx");
        File.WriteAllBytes(path, [.. Header(0x08, 3, 0), 1, 2, 3]);
        AssertInvalid(path, "dimension 1 has size 0");
        File.WriteAllBytes(path, [.. Header(0x08, -5), 1]);
        AssertInvalid(path, "dimension 0 has size -5");
        File.WriteAllBytes(path, [.. Header(0x0E, 65536, 65536, 65536), 1]);
        AssertInvalid(path, "more than", "damaged");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingBytesAreRejected(bool gzip)
    {
        using var temp = new TempFolder();
        string path = temp.File("trailing.idx");
        byte[] raw = [.. Header(0x08, 2, 2), 1, 2, 3, 4, 0xAA, 0xBB, 0xCC];
        File.WriteAllBytes(path, gzip ? Gzip(raw) : raw);
        AssertInvalid(path, "3 unexpected bytes", "4 bytes");
    }

    [Fact]
    public void ACorruptGzipStreamIsRejectedNotCrashed()
    {
        using var temp = new TempFolder();
        string path = temp.File("corrupt.gz");
        var random = new Random(3);
        byte[] garbage = new byte[200];
        random.NextBytes(garbage);
        File.WriteAllBytes(path, [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, .. garbage]);
        AssertInvalid(path, "gzip");

        // A flipped byte inside a real compressed stream: the deflate data or the CRC check must catch it.
        IdxFile.Write(path, TestData.IdxImages(50), gzip: true);
        TestData.FlipByte(path);
        AssertInvalid(path);
    }

    [Fact]
    public void AnEmptyFileIsRejected()
    {
        using var temp = new TempFolder();
        string path = temp.File("empty.idx");
        File.WriteAllBytes(path, []);
        AssertInvalid(path, "empty");
    }

    [Fact]
    public void AMissingFileNamesThePathAndSaysWhatToDo()
    {
        using var temp = new TempFolder();
        string path = temp.File("nowhere.gz");
        var e = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FileName);
        Assert.Contains("restore", e.Message);
    }

    [Fact]
    public void ErrorsPointToTheReadmeNextToTheFileWhenThereIsOne()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("README.md"), "# data");
        string path = temp.File("bad.idx");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        AssertInvalid(path, temp.File("README.md"));
    }

    [Fact]
    public void IdxArrayRejectsAPayloadThatDoesNotMatchItsDimensions()
    {
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxType.Int16, [2, 3], new byte[6]));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxType.UByte, [2, 0], []));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxType.UByte, [1, 1, 1, 1, 1], [0]));
        Assert.Throws<ArgumentException>(() => new IdxArray((IdxType)0x07, [1], [0]));
        Assert.Equal(6L, new IdxArray(IdxType.Int16, [2, 3], new byte[12]).ElementCount);
    }
}
