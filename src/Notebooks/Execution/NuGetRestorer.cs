using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>A package asked for by <c>#r "nuget: Id, Version"</c> (version null: the latest).</summary>
/// <param name="Id">Package id.</param>
/// <param name="Version">Version or range; null for the latest.</param>
public sealed record PackageRequest(string Id, string? Version)
{
    /// <summary>Parses the text after <c>nuget:</c>, e.g. <c>"Newtonsoft.Json, 13.0.3"</c>.</summary>
    /// <exception cref="FormatException">Not of the form <c>Id</c> or <c>Id, Version</c>.</exception>
    public static PackageRequest Parse(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || parts[0].Length == 0 || parts[0].Any(c => char.IsWhiteSpace(c) || c is '"' or '<' or '>' or '\'')
            || (parts.Length == 2 && (parts[1].Length == 0 || parts[1].Any(c => char.IsWhiteSpace(c) || c is '"' or '<' or '>' or '\''))))
            throw new FormatException($"'nuget: {text}' is not of the form 'nuget: PackageId, Version' (the version may be left out).");
        return new PackageRequest(parts[0], parts.Length == 2 ? parts[1] : null);
    }

    /// <inheritdoc />
    public override string ToString() => Version is null ? Id : $"{Id} {Version}";
}

/// <summary>NuGet restore failed; the message quotes dotnet's errors.</summary>
public sealed class NuGetRestoreException(string message) : Exception(message);

/// <summary>The managed assemblies of a restored package set.</summary>
/// <param name="Assemblies">Full paths of the managed assemblies (the package set and its dependencies).</param>
/// <param name="Directory">Folder holding them, native libraries included.</param>
/// <param name="FromCache">True when no restore was needed.</param>
public sealed record RestoreResult(IReadOnlyList<string> Assemblies, string Directory, bool FromCache);

/// <summary>
/// Resolves NuGet packages with a real restore: a small project listing the packages is generated in a cache
/// folder (one per package set), built with <c>dotnet build</c>, and its output's assemblies are referenced. The
/// project imports the course's <c>TorchSharpNative.targets</c> so TorchSharp's native fix applies there too.
/// A second request for the same set reads the cached result without running dotnet.
/// </summary>
public sealed class NuGetRestorer
{
    private const string FormatVersion = "course-nuget-v1";
    private const string ProjectName = "CourseNuGetPackages";

    /// <summary>Creates a restorer.</summary>
    /// <param name="cacheRoot">Root of the cache; generated projects go to <c>&lt;root&gt;/nuget/&lt;hash&gt;/</c>.</param>
    /// <param name="nativeTargets">The course's <c>TorchSharpNative.targets</c>, or null if it cannot be found.</param>
    public NuGetRestorer(string cacheRoot, string? nativeTargets)
    {
        CacheRoot = cacheRoot;
        NativeTargets = nativeTargets;
    }

    /// <summary>Root of the cache.</summary>
    public string CacheRoot { get; }

    /// <summary>The native fix imported by generated projects.</summary>
    public string? NativeTargets { get; }

    /// <summary>How progress messages start (<see cref="IsProgress"/>).</summary>
    public const string ProgressPrefix = "Restoring NuGet packages: ";

    /// <summary>
    /// True for the restorer's progress chatter, which front ends send to their log (or a transient display) rather
    /// than into the cell's saved outputs or stderr.
    /// </summary>
    public static bool IsProgress(string message) => message.StartsWith(ProgressPrefix, StringComparison.Ordinal);

    /// <summary>Receives progress messages ("Restoring ...", see <see cref="IsProgress"/>).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// The default cache root: <c>$COURSE_CACHE</c> when set, else <c>$XDG_CACHE_HOME/modelsecurity-course</c>,
    /// else <c>~/.cache/modelsecurity-course</c>.
    /// </summary>
    public static string DefaultCacheRoot()
    {
        string? configured = Environment.GetEnvironmentVariable("COURSE_CACHE");
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "modelsecurity-course");
    }

    /// <summary>The TorchSharp native fix shipped next to the engine (copied there at build time), or null.</summary>
    public static string? FindNativeTargets()
    {
        string nextToEngine = Path.Combine(AppContext.BaseDirectory, "native", "TorchSharpNative.targets");
        if (File.Exists(nextToEngine)) return nextToEngine;
        string? engineDir = Path.GetDirectoryName(typeof(NuGetRestorer).Assembly.Location);
        if (engineDir is not null)
        {
            string candidate = Path.Combine(engineDir, "native", "TorchSharpNative.targets");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The RID used for restores, e.g. <c>linux-x64</c>, so native libraries land next to the assemblies.</summary>
    public static string RuntimeIdentifier()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.Arm => "arm",
            _ => "x64",
        };
        return $"{os}-{arch}";
    }

    /// <summary>Restores a package set (or reads it from the cache).</summary>
    public RestoreResult Restore(IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        if (packages.Count == 0) throw new ArgumentException("No packages to restore.", nameof(packages));
        string project = ProjectText(packages, sources);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(FormatVersion + "\n" + project)))[..16];
        string dir = Path.Combine(CacheRoot, "nuget", hash);
        string marker = Path.Combine(dir, "resolved.json");

        if (TryReadMarker(marker, out var cached)) return new RestoreResult(cached, Path.Combine(dir, "out"), FromCache: true);

        Directory.CreateDirectory(dir);
        using var lockFile = AcquireLock(Path.Combine(dir, ".lock"), cancellationToken);
        if (TryReadMarker(marker, out cached)) return new RestoreResult(cached, Path.Combine(dir, "out"), FromCache: true);

        File.WriteAllText(Path.Combine(dir, ProjectName + ".csproj"), project);
        // Stop MSBuild from picking up Directory.Build.* or central package management of a folder above the cache.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />\n");
        string outDir = Path.Combine(dir, "out");
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);

        Log?.Invoke($"{ProgressPrefix}{string.Join(", ", packages)} (cache: {dir})");
        RunDotnetBuild(dir, string.Join(", ", packages), cancellationToken);

        var assemblies = ManagedAssemblies(outDir);
        File.WriteAllText(marker, JsonSerializer.Serialize(new Marker(packages.Select(p => p.ToString()).ToList(),
            assemblies.Select(a => Path.GetRelativePath(dir, a)).ToList())));
        return new RestoreResult(assemblies, outDir, FromCache: false);
    }

    private string ProjectText(IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> sources)
    {
        var project = new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement("PropertyGroup",
                new XElement("TargetFramework", $"net{Environment.Version.Major}.{Environment.Version.Minor}"),
                new XElement("OutputType", "Library"),
                new XElement("AssemblyName", ProjectName),
                new XElement("RuntimeIdentifier", RuntimeIdentifier()),
                new XElement("SelfContained", "false"),
                new XElement("CopyLocalLockFileAssemblies", "true"),
                new XElement("EnableDefaultItems", "false"),
                new XElement("GenerateDocumentationFile", "false"),
                new XElement("ManagePackageVersionsCentrally", "false"),
                new XElement("TreatWarningsAsErrors", "false"),
                new XElement("NoWarn", "NU1603;NU1701;NU1902;NU1903;NU1904"),
                new XElement("OutputPath", "out/"),
                new XElement("AppendTargetFrameworkToOutputPath", "false"),
                new XElement("AppendRuntimeIdentifierToOutputPath", "false"),
                sources.Count > 0 ? new XElement("RestoreAdditionalProjectSources", string.Join(";", sources)) : null),
            new XElement("ItemGroup",
                packages.OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).Select(p =>
                    new XElement("PackageReference", new XAttribute("Include", p.Id), new XAttribute("Version", p.Version ?? "*")))),
            NativeTargets is null ? null
                : new XElement("Import", new XAttribute("Project", NativeTargets), new XAttribute("Condition", $"Exists('{NativeTargets}')")));
        return project.ToString() + "\n";
    }

    private static void RunDotnetBuild(string dir, string packageList, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "build", ProjectName + ".csproj", "-c", "Release", "-nologo", "-v:q", "-nodeReuse:false",
                     "-p:UseSharedCompilation=false", "-clp:NoSummary;ErrorsOnly" })
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        // Variables a parent build or test host may have set would point the child at another MSBuild.
        foreach (string name in new[] { "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);

        using var process = Process.Start(start) ?? throw new NuGetRestoreException("Could not start dotnet.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            process.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        if (process.ExitCode != 0)
        {
            string output = (SafeResult(stdout) + "\n" + SafeResult(stderr)).Trim();
            var errors = output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
                .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\s*\[[^\]]*\.csproj[^\]]*\]$", ""))
                .Distinct().Take(10).ToList();
            throw new NuGetRestoreException($"NuGet restore of {packageList} failed" + (errors.Count > 0 ? ":\n" + string.Join("\n", errors) : ":\n" + output)
                                            + $"\n(generated project: {Path.Combine(dir, ProjectName + ".csproj")})");
        }
    }

    private static string SafeResult(Task<string> task)
    {
        try { return task.Wait(TimeSpan.FromSeconds(5)) ? task.Result : ""; }
        catch (AggregateException) { return ""; }
    }

    /// <summary>The dotnet executable: the one running this process when it is dotnet, else $DOTNET_HOST_PATH, else dotnet on PATH.</summary>
    public static string DotnetHost()
    {
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return process;
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root))
        {
            string candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return "dotnet";
    }

    private static List<string> ManagedAssemblies(string outDir)
    {
        var result = new List<string>();
        if (!Directory.Exists(outDir)) return result;
        foreach (string file in Directory.EnumerateFiles(outDir, "*.dll").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileNameWithoutExtension(file).Equals(ProjectName, StringComparison.OrdinalIgnoreCase)) continue;
            try
            {
                AssemblyName.GetAssemblyName(file);
                result.Add(file);
            }
            catch (BadImageFormatException)
            {
                // native library
            }
        }
        return result;
    }

    private static bool TryReadMarker(string marker, out IReadOnlyList<string> assemblies)
    {
        assemblies = [];
        if (!File.Exists(marker)) return false;
        try
        {
            var data = JsonSerializer.Deserialize<Marker>(File.ReadAllText(marker));
            if (data is null) return false;
            string dir = Path.GetDirectoryName(marker)!;
            var paths = data.Assemblies.Select(a => Path.GetFullPath(Path.Combine(dir, a))).ToList();
            if (!paths.All(File.Exists)) return false;
            assemblies = paths;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static FileStream AcquireLock(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Thread.Sleep(200);
            }
        }
    }

    private sealed record Marker(List<string> Packages, List<string> Assemblies);
}
