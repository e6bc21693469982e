using ModelSecurity.Data;

namespace ModelSecurity.Tests.Data;

public class ChecksumsTests
{
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Sha256IsTheLowercaseHexDigestOfTheBytes()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("abc.txt"), "abc");
        Assert.Equal(AbcSha256, Checksums.Sha256(temp.File("abc.txt")));
        Assert.Equal("900150983cd24fb0d6963f7d28e17f72", Checksums.Md5(temp.File("abc.txt")));
    }

    [Fact]
    public void ReadSumsParsesTextAndBinaryModeLines()
    {
        using var temp = new TempFolder();
        string sums = temp.File("SHA256SUMS");
        File.WriteAllText(sums,
            "# course data\n" +
            $"{AbcSha256}  abc.txt\n" +
            "\n" +
            $"{AbcSha256.ToUpperInvariant()} *binary name.gz\r\n" +
            $"{new string('0', 64)}  ./sub/zero.bin\n");
        var parsed = Checksums.ReadSums(sums);
        Assert.Equal(3, parsed.Count);
        Assert.Equal(AbcSha256, parsed["abc.txt"]);
        Assert.Equal(AbcSha256, parsed["binary name.gz"]);
        Assert.Equal(new string('0', 64), parsed["sub/zero.bin"]);
    }

    [Theory]
    [InlineData("deadbeef  short.gz")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  bad-hex.gz")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\tname-after-tab.gz")]
    public void ReadSumsRejectsMalformedLinesWithTheirNumber(string line)
    {
        using var temp = new TempFolder();
        string sums = temp.File("SHA256SUMS");
        File.WriteAllText(sums, $"{AbcSha256}  fine.gz\n{line}\n");
        var e = Assert.Throws<InvalidDataException>(() => Checksums.ReadSums(sums));
        Assert.Contains(sums, e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void TheShippedChecksumListCoversTheFourFashionMnistFiles()
    {
        var sums = Checksums.ReadSums(Path.Combine(CoursePaths.FashionMnistDirectory, "SHA256SUMS"));
        Assert.Equal(
            new[] { "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz" },
            sums.Keys.Order());
    }

    [Fact]
    public void VerifyAcceptsAMatchInAnyCase()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("abc.txt"), "abc");
        Checksums.Verify(temp.File("abc.txt"), AbcSha256);
        Checksums.Verify(temp.File("abc.txt"), AbcSha256.ToUpperInvariant());
    }

    [Fact]
    public void VerifyRejectsAMismatchNamingFileAndBothHashes()
    {
        using var temp = new TempFolder();
        string path = temp.File("abd.txt");
        File.WriteAllText(path, "abd");
        var e = Assert.Throws<InvalidDataException>(() => Checksums.Verify(path, AbcSha256));
        Assert.Contains(path, e.Message);
        Assert.Contains(AbcSha256, e.Message);
        Assert.Contains(Checksums.Sha256(path), e.Message);
        Assert.Contains("tampered", e.Message);
        Assert.Contains("Restore", e.Message);
    }

    [Fact]
    public void VerifyRejectsSomethingThatIsNotASha256()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("abc.txt"), "abc");
        Assert.Throws<ArgumentException>(() => Checksums.Verify(temp.File("abc.txt"), "900150983cd24fb0d6963f7d28e17f72"));
        Assert.Throws<FileNotFoundException>(() => Checksums.Verify(temp.File("missing"), AbcSha256));
    }
}
