using ModelSecurity.Kernel.Install;
using ModelSecurity.Runtime;

namespace ModelSecurity.Cli.Doctor;

/// <summary>
/// Everything the checks read from the machine, injectable so that tests run them on temporary copies (a temporary
/// Jupyter folder, a copy of data/) and never on the user's own folders.
/// </summary>
public sealed record DoctorSettings
{
    /// <summary>The course's data folder (default: data/ of this clone).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Jupyter's kernelspec search path (default: <see cref="JupyterPaths.SearchPath"/>).</summary>
    public required IReadOnlyList<string> JupyterSearchPath { get; init; }

    /// <summary>The course.dll a kernelspec must start to be this build's.</summary>
    public required string CourseAssembly { get; init; }

    /// <summary>Linux's CPU description (default /proc/cpuinfo; absent elsewhere).</summary>
    public string CpuInfoPath { get; init; } = "/proc/cpuinfo";

    /// <summary>Reads an environment variable.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The installed .NET SDK's version (default: <c>dotnet --version</c>), null when there is none.</summary>
    public Func<string?> SdkVersion { get; init; } = DotNetSdk.Version;

    /// <summary>Free bytes on the drive holding the clone.</summary>
    public Func<long> FreeBytes { get; init; } = () => new DriveInfo(Path.GetPathRoot(Path.GetFullPath(CoursePaths.Root))!).AvailableFreeSpace;

    /// <summary>Test images each checkpoint is evaluated on (a fixed random slice of the test set).</summary>
    public int CheckpointSlice { get; init; } = 500;

    /// <summary>The numerics guard whose decision is reported (default: the library's shared one).</summary>
    public NumericsGuard Guard { get; init; } = NumericsGuard.Shared;

    /// <summary>The settings for this clone and this user.</summary>
    public static DoctorSettings ForThisMachine() => new()
    {
        DataDirectory = CoursePaths.DataDirectory,
        JupyterSearchPath = JupyterPaths.SearchPath(),
        CourseAssembly = typeof(DoctorSettings).Assembly.Location,
    };
}
