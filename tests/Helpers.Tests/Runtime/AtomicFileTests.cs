using ModelSecurity.IO;

namespace ModelSecurity.Tests.Runtime;

public class AtomicFileTests
{
    [Fact]
    public void WritesTheContentAndCreatesTheFolder()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string path = Path.Combine(folder, "sub", "result.json");
            AtomicFile.WriteAllText(path, "{\"a\": 1}");
            Assert.Equal("{\"a\": 1}", File.ReadAllText(path));
            AtomicFile.WriteAllText(path, "second");
            Assert.Equal("second", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void AFailedWriteLeavesThePreviousFileAndNoTemporaryFile()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string path = Path.Combine(folder, "result.txt");
            File.WriteAllText(path, "previous");
            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
            {
                stream.Write("partial"u8);
                throw new InvalidOperationException("interrupted");
            }));
            Assert.Equal("previous", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
