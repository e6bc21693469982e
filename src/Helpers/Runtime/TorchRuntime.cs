using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Runtime;

/// <summary>
/// Picks the device every helper runs on and explains native loading failures in words a learner can act on.
/// </summary>
public static class TorchRuntime
{
    /// <summary>Environment variable that overrides the device choice: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public const string DeviceVariable = "COURSE_DEVICE";

    /// <summary>
    /// The device to compute on: the value of <see cref="DeviceVariable"/> when set, otherwise CUDA when
    /// TorchSharp sees a GPU, otherwise the CPU.
    /// </summary>
    public static Device PickDevice() => PickDevice(Environment.GetEnvironmentVariable(DeviceVariable));

    /// <summary>Same as <see cref="PickDevice()"/>, with the override passed in (null or empty: automatic).</summary>
    public static Device PickDevice(string? requested)
    {
        EnsureLoaded();
        if (string.IsNullOrWhiteSpace(requested))
            return cuda.is_available() ? CUDA : CPU;

        string spec = requested.Trim().ToLowerInvariant();
        if (spec == "cpu") return CPU;
        if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new InvalidOperationException(
                    $"{DeviceVariable}={requested} asks for a CUDA GPU, but TorchSharp sees none. Either unset {DeviceVariable} " +
                    "to use the CPU, or build with the CUDA backend on a machine with an NVIDIA GPU: " +
                    "dotnet build -p:TorchBackend=cuda (see environment/README.md).");
            if (spec == "cuda") return CUDA;
            if (!int.TryParse(spec.AsSpan(5), out int index) || index < 0 || index >= cuda.device_count())
                throw new ArgumentException(
                    $"{DeviceVariable}={requested}: no such GPU; this machine has {cuda.device_count()} (cuda:0 .. cuda:{cuda.device_count() - 1}).");
            return new Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"{DeviceVariable}={requested} is not a device; use cpu, cuda or cuda:N.");
    }

    /// <summary>
    /// Loads TorchSharp's native libraries, turning a load failure into a message that says what to do.
    /// Every helper that touches tensors may call it; it is cheap after the first call.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        try
        {
            // Creating a tensor forces TorchSharp to load libtorch and its native bridge.
            using var probe = zeros(1);
            _loaded = true;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
        {
            throw new InvalidOperationException(Explain(e), e);
        }
    }

    private static bool _loaded;

    private static string Explain(Exception e)
    {
        string all = e.ToString();
        if (all.Contains("GLIBCXX_3.4.32", StringComparison.Ordinal))
            return "TorchSharp's native library needs a newer libstdc++ (GLIBCXX_3.4.32) than this Linux has. " +
                   "The course's build applies a fix automatically: build the project (dotnet build) and load the " +
                   "libraries from its output folder, or run environment/fix-torchsharp-native.sh on the folder you load from. " +
                   "Details: environment/README.md, \"TorchSharp on older Linux\". Original error: " + e.Message;
        return "TorchSharp's native libraries could not be loaded. Check that the TorchSharp-cpu (or CUDA) package was " +
               "restored (dotnet restore) and that you run from the build output. See environment/README.md. Original error: " +
               e.Message;
    }
}
