using System.Runtime.InteropServices;

namespace ModelSecurity.Tests.Native;

/// <summary>The Linux native fix: acts only where needed, and only on the one safe version requirement.</summary>
public class LibStdCxxCompatTests
{
    private static string? PristineTorchSharpBridge()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                          ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    private static string CopyToTemp(string source, string name)
    {
        string directory = Directory.CreateTempSubdirectory("native-fix-").FullName;
        string copy = Path.Combine(directory, name);
        File.Copy(source, copy);
        return copy;
    }

    [Fact]
    public void MarksOnlyTheMissingVersionWeakWhenTheSystemLibraryLacksIt()
    {
        string? pristine = PristineTorchSharpBridge();
        if (pristine == null || !RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return; // only meaningful on linux-x64
        string library = CopyToTemp(pristine, "libLibTorchSharp.so");
        // A stand-in "system libstdc++" that provides nothing newer than GCC 12's.
        string oldStdCxx = Path.Combine(Path.GetDirectoryName(library)!, "libstdc++.so.6");
        File.WriteAllText(oldStdCxx, "GLIBCXX_3.4.29\0GLIBCXX_3.4.30\0");

        Assert.Equal((ushort)0, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.32"));
        var result = LibStdCxxCompat.MakeLoadable(library, oldStdCxx);
        Assert.True(result.Changed, result.Reason);
        Assert.Equal((ushort)2, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.32"));
        Assert.Equal((ushort)0, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.30"));

        byte[] original = File.ReadAllBytes(pristine), patched = File.ReadAllBytes(library);
        Assert.Equal(original.Length, patched.Length);
        Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != patched[i]);

        var again = LibStdCxxCompat.MakeLoadable(library, oldStdCxx);
        Assert.False(again.Changed);
        Assert.Contains("already weak", again.Reason);
    }

    [Fact]
    public void DoesNothingWhereTheSystemLibraryProvidesTheVersion()
    {
        string? pristine = PristineTorchSharpBridge();
        if (pristine == null) return;
        string library = CopyToTemp(pristine, "libLibTorchSharp.so");
        string newStdCxx = Path.Combine(Path.GetDirectoryName(library)!, "libstdc++.so.6");
        File.WriteAllText(newStdCxx, "GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_3.4.33\0");

        var result = LibStdCxxCompat.MakeLoadable(library, newStdCxx);
        Assert.False(result.Changed);
        Assert.Equal(File.ReadAllBytes(pristine), File.ReadAllBytes(library));
    }

    [Fact]
    public void RejectsAFileThatIsNotElfWithItsName()
    {
        string bogus = Path.Combine(Directory.CreateTempSubdirectory("native-fix-").FullName, "libBogus.so");
        File.WriteAllText(bogus, "this is not a shared library at all, just some text that is long enough to have a header");
        string oldStdCxx = bogus + ".stdcxx";
        File.WriteAllText(oldStdCxx, "GLIBCXX_3.4.30\0");
        var error = Assert.Throws<InvalidDataException>(() => LibStdCxxCompat.MakeLoadable(bogus, oldStdCxx));
        Assert.Contains("libBogus.so", error.Message);
        Assert.Contains("not an ELF file", error.Message);
    }

    [Fact]
    public void TheTestRunsAgainstATorchSharpBridgeThatThisSystemCanLoad()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return;
        string bridge = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(bridge), "build output lacks " + bridge);
        string? system = LibStdCxxCompat.FindSystemLibStdCxx();
        Assert.NotNull(system);
        bool systemHasVersion = File.ReadAllText(system!).Contains("GLIBCXX_3.4.32\0");
        ushort? flags = LibStdCxxCompat.VersionNeedFlags(bridge, "GLIBCXX_3.4.32");
        if (systemHasVersion) Assert.True(flags is null or 0, "patched although the system did not need it");
        else Assert.True(flags is null || (flags & 2) != 0, "build output was not patched for this system");
    }
}
