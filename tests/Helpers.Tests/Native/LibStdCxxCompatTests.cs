using System.Runtime.InteropServices;

namespace ModelSecurity.Tests.Native;

/// <summary>The Linux native fix: acts only where needed, and only on the one safe version requirement.</summary>
/// <remarks>
/// The tests patch their own copies of a pristine libLibTorchSharp.so (<see cref="PristineTorchSharpBridge"/>), never a
/// file the build, the NuGet cache or environment/fix-torchsharp-native.sh may already have patched.
/// </remarks>
public sealed class LibStdCxxCompatTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("native-fix-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string CopyOfPristineBridge()
    {
        var (path, whyNot) = PristineTorchSharpBridge.Extracted.Value;
        Skip.If(path is null, whyNot);
        string copy = Path.Combine(_directory, "libLibTorchSharp.so");
        File.Copy(path!, copy);
        return copy;
    }

    [SkippableFact]
    public void MarksOnlyTheMissingVersionWeakWhenTheSystemLibraryLacksIt()
    {
        string library = CopyOfPristineBridge();
        // A stand-in "system libstdc++" that provides nothing newer than GCC 12's.
        string oldStdCxx = Path.Combine(_directory, "libstdc++.so.6");
        File.WriteAllText(oldStdCxx, "GLIBCXX_3.4.29\0GLIBCXX_3.4.30\0");

        Assert.Equal((ushort)0, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.32"));
        var result = LibStdCxxCompat.MakeLoadable(library, oldStdCxx);
        Assert.True(result.Changed, result.Reason);
        Assert.Equal((ushort)2, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.32"));
        Assert.Equal((ushort)0, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.30"));

        byte[] original = File.ReadAllBytes(PristineTorchSharpBridge.Extracted.Value.Path!), patched = File.ReadAllBytes(library);
        Assert.Equal(original.Length, patched.Length);
        Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != patched[i]);

        var again = LibStdCxxCompat.MakeLoadable(library, oldStdCxx);
        Assert.False(again.Changed);
        Assert.Contains("already weak", again.Reason);
    }

    [SkippableFact]
    public void PatchingAHardLinkLeavesTheOtherNameUntouched()
    {
        Skip.IfNot(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), "hard links are made with ln, which only Linux has here");
        string library = CopyOfPristineBridge();
        string link = Path.Combine(_directory, "linked.so");
        var ln = System.Diagnostics.Process.Start("ln", [library, link])!;
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
        string oldStdCxx = Path.Combine(_directory, "libstdc++.so.6");
        File.WriteAllText(oldStdCxx, "GLIBCXX_3.4.30\0");

        Assert.True(LibStdCxxCompat.MakeLoadable(link, oldStdCxx).Changed);
        Assert.Equal((ushort)2, LibStdCxxCompat.VersionNeedFlags(link, "GLIBCXX_3.4.32"));
        Assert.Equal((ushort)0, LibStdCxxCompat.VersionNeedFlags(library, "GLIBCXX_3.4.32"));
    }

    [SkippableFact]
    public void DoesNothingWhereTheSystemLibraryProvidesTheVersion()
    {
        string library = CopyOfPristineBridge();
        byte[] before = File.ReadAllBytes(library);
        string newStdCxx = Path.Combine(_directory, "libstdc++.so.6");
        File.WriteAllText(newStdCxx, "GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_3.4.33\0");

        var result = LibStdCxxCompat.MakeLoadable(library, newStdCxx);
        Assert.False(result.Changed);
        Assert.Equal(before, File.ReadAllBytes(library));
    }

    [Fact]
    public void RejectsAFileThatIsNotElfWithItsName()
    {
        string bogus = Path.Combine(_directory, "libBogus.so");
        File.WriteAllText(bogus, "this is not a shared library at all, just some text that is long enough to have a header");
        string oldStdCxx = bogus + ".stdcxx";
        File.WriteAllText(oldStdCxx, "GLIBCXX_3.4.30\0");
        var error = Assert.Throws<InvalidDataException>(() => LibStdCxxCompat.MakeLoadable(bogus, oldStdCxx));
        Assert.Contains("libBogus.so", error.Message);
        Assert.Contains("not an ELF file", error.Message);
    }

    [SkippableFact]
    public void TheTestRunsAgainstATorchSharpBridgeThatThisSystemCanLoad()
    {
        Skip.IfNot(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), "the GLIBCXX fix only concerns Linux");
        // The lean build (Directory.Build.props) puts the host's natives next to the assemblies; a build with
        // CourseAllRuntimes=true keeps NuGet's runtimes/<rid>/native layout.
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
        ];
        string? bridge = candidates.FirstOrDefault(File.Exists);
        Assert.True(bridge is not null, "build output lacks libLibTorchSharp.so; looked for " + string.Join(", ", candidates));
        string? system = LibStdCxxCompat.FindSystemLibStdCxx();
        Assert.NotNull(system);
        bool systemHasVersion = File.ReadAllText(system!).Contains("GLIBCXX_3.4.32\0");
        ushort? flags = LibStdCxxCompat.VersionNeedFlags(bridge!, "GLIBCXX_3.4.32");
        if (systemHasVersion) Assert.True(flags is null or 0, "patched although the system did not need it");
        else Assert.True(flags is null || (flags & 2) != 0, "build output was not patched for this system");
    }
}
