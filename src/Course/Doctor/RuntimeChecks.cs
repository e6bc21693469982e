using System.Diagnostics;
using System.Text;
using ModelSecurity.Runtime;
using TorchSharp;

namespace ModelSecurity.Cli.Doctor;

/// <summary>The checks of the runtime: .NET, TorchSharp's native libraries, the CPU, a CUDA device.</summary>
internal static class RuntimeChecks
{
    /// <summary>The course targets .NET 10: the runtime this process runs on and the SDK that builds it.</summary>
    public static DoctorResult DotNet(DoctorSettings settings)
    {
        string runtime = System.Environment.Version.ToString();
        string? sdk = settings.SdkVersion();
        const string Name = ".NET";
        if (sdk is null)
            return new(Name, DoctorStatus.Failed, $"runtime {runtime}, but no .NET SDK answers `dotnet --version`",
                "install the .NET 10 SDK (https://dotnet.microsoft.com/download); see environment/README.md, \"What to install\"");
        if (!int.TryParse(sdk.Split('.')[0], out int major) || major < 10)
            return new(Name, DoctorStatus.Failed, $"runtime {runtime}, SDK {sdk}: the course needs the .NET 10 SDK",
                "install the .NET 10 SDK; a global.json or an older SDK first on PATH can also hide it (`dotnet --list-sdks`)");
        return new(Name, DoctorStatus.Ok, $"runtime {runtime}, SDK {sdk}");
    }

    /// <summary>TorchSharp's native libraries load; on Linux, whether the GLIBCXX fix was needed and is in effect.</summary>
    public static DoctorResult TorchSharpNative(DoctorSettings settings)
    {
        const string Name = "TorchSharp native libraries";
        try
        {
            TorchRuntime.EnsureLoaded();
        }
        catch (InvalidOperationException e)
        {
            return new(Name, DoctorStatus.Failed, "could not be loaded", e.Message);
        }
        string version = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";
        var details = new List<string>();
        string? bridge = LoadedModule("libLibTorchSharp.") ?? LoadedModule("LibTorchSharp.dll");
        string? torchCpu = LoadedModule("libtorch_cpu.") ?? LoadedModule("torch_cpu.dll");
        if (bridge is not null) details.Add($"bridge: {bridge}");
        if (torchCpu is not null) details.Add($"libtorch: {torchCpu}");
        string glibcxx = "";
        if (OperatingSystem.IsLinux() && bridge is not null)
        {
            string? system = LibStdCxxCompat.FindSystemLibStdCxx();
            ushort? flags = LibStdCxxCompat.VersionNeedFlags(bridge, LibStdCxxCompat.MissingVersion);
            bool weak = flags is { } f && (f & 2) != 0; // VER_FLG_WEAK
            glibcxx = system is null ? "; no system libstdc++ found"
                : ContainsAscii(system, LibStdCxxCompat.MissingVersion) ? $"; GLIBCXX fix not needed ({system} has {LibStdCxxCompat.MissingVersion})"
                : weak ? $"; GLIBCXX fix in effect ({system} lacks {LibStdCxxCompat.MissingVersion}; the bridge marks it weak)"
                : $"; {system} lacks {LibStdCxxCompat.MissingVersion} and the bridge still requires it, yet it loaded";
        }
        return new(Name, DoctorStatus.Ok, $"TorchSharp {version} loaded{glibcxx}", null, details);
    }

    /// <summary>CPU model and vector extensions (from /proc/cpuinfo on Linux; unknown elsewhere).</summary>
    public static DoctorResult Cpu(DoctorSettings settings)
    {
        const string Name = "CPU";
        var details = new List<string> { $"cores: {System.Environment.ProcessorCount}, libtorch threads: {LibTorchThreads()}" };
        foreach (string variable in new[] { "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS" })
            if (settings.Environment(variable) is { Length: > 0 } value) details.Add($"{variable}={value}");
        if (!File.Exists(settings.CpuInfoPath))
            return new(Name, DoctorStatus.Ok, $"model and ISA unknown (no {settings.CpuInfoPath} on this system)", null, details);
        string? model = null;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(settings.CpuInfoPath))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "model name") model ??= value;
            else if (key is "flags" or "Features") flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        string isa = flags.Contains("avx512f") ? "AVX-512 (" + string.Join(" ", flags.Where(f => f.StartsWith("avx512", StringComparison.Ordinal)).Order()) + ")"
            : flags.Contains("avx2") ? "AVX2, no AVX-512"
            : flags.Count > 0 ? "neither AVX2 nor AVX-512" : "unknown";
        if (flags.Contains("avx512f"))
            details.Add("AVX-512: the kind of host where libtorch 2.10 once computed a dilated convolution's batched gradient wrongly; " +
                        "the numerics self-test below checks this machine");
        return new(Name, DoctorStatus.Ok, $"{model ?? "model unknown"}; {isa}", null, details);
    }

    /// <summary>A CUDA device, if TorchSharp sees one (the CPU build never does).</summary>
    public static DoctorResult Cuda(DoctorSettings settings)
    {
        const string Name = "CUDA";
        if (!torch.cuda.is_available())
            return new(Name, DoctorStatus.Ok, "no CUDA device: the course computes on the CPU",
                null, ["with an NVIDIA GPU: dotnet build -p:TorchBackend=cuda (environment/README.md, \"GPU (NVIDIA CUDA) or CPU\")"]);
        string requested = settings.Environment(TorchRuntime.DeviceVariable) ?? "";
        return new(Name, DoctorStatus.Ok, $"{torch.cuda.device_count()} CUDA device(s); the course uses {TorchRuntime.PickDevice(requested)}");
    }

    private static string LibTorchThreads()
    {
        try
        {
            TorchRuntime.EnsureLoaded();
            return torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "unknown (TorchSharp does not load)";
        }
    }

    private static string? LoadedModule(string prefix)
    {
        using var process = Process.GetCurrentProcess();
        foreach (ProcessModule module in process.Modules)
            if (Path.GetFileName(module.FileName).StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return module.FileName;
        return null;
    }

    private static bool ContainsAscii(string file, string text)
    {
        byte[] needle = Encoding.ASCII.GetBytes(text);
        return File.ReadAllBytes(file).AsSpan().IndexOf(needle) >= 0;
    }
}
