using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;

namespace ModelSecurity.Tests.Native;

/// <summary>
/// An unpatched linux-x64 libLibTorchSharp.so for the native-fix tests, extracted once per test run into a temporary
/// folder from the TorchSharp .nupkg in the NuGet cache. The extracted files next to the .nupkg are not trustworthy:
/// environment/fix-torchsharp-native.sh patches them (as its README suggests). The .nupkg archive itself is never
/// patched, and its SHA-512 is checked against the one NuGet recorded at restore to be sure.
/// </summary>
internal static class PristineTorchSharpBridge
{
    private const string Entry = "runtimes/linux-x64/native/libLibTorchSharp.so";

    /// <summary>The extracted file, or null and the reason it could not be had.</summary>
    public static readonly Lazy<(string? Path, string WhyNot)> Extracted = new(Extract);

    private static (string? Path, string WhyNot) Extract()
    {
        // The build records where it restored TorchSharp from (Helpers.Tests.csproj, AssemblyMetadata).
        string? package = typeof(PristineTorchSharpBridge).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchSharpPackageFolder")?.Value;
        string? version = typeof(PristineTorchSharpBridge).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchSharpVersion")?.Value;
        if (string.IsNullOrEmpty(package) || string.IsNullOrEmpty(version))
            return (null, "the test assembly does not record the TorchSharp package folder (build with dotnet build)");
        string nupkg = Path.Combine(package, $"torchsharp.{version}.nupkg");
        string recordedHash = nupkg + ".sha512";
        if (!File.Exists(nupkg) || !File.Exists(recordedHash))
            return (null, $"no pristine libLibTorchSharp.so: {nupkg} (or its .sha512) is not in the NuGet cache");

        using (var stream = File.OpenRead(nupkg))
        {
            string actual = Convert.ToBase64String(SHA512.HashData(stream));
            if (actual != File.ReadAllText(recordedHash).Trim())
                return (null, $"{nupkg} does not match the SHA-512 NuGet recorded at restore; cannot trust it as pristine");
        }

        string folder = Path.Combine(Path.GetTempPath(), $"course-pristine-torchsharp-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } };
        string path = Path.Combine(folder, "libLibTorchSharp.so");
        using var archive = ZipFile.OpenRead(nupkg);
        var entry = archive.GetEntry(Entry);
        if (entry is null) return (null, $"{nupkg} has no {Entry}");
        entry.ExtractToFile(path, overwrite: true);
        return (path, "");
    }
}
