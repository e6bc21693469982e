using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ModelSecurity.Runtime;

/// <summary>
/// Turns libtorch's use of oneDNN (mkldnn) for CPU convolutions on or off in this process, as PyTorch's
/// <c>torch.backends.mkldnn.enabled</c> does. TorchSharp 0.107 has no binding for it, so this calls libtorch's own
/// exported <c>at::globalContext().setUserEnabledMkldnn(bool)</c> (Itanium C++ names on Linux and macOS, MSVC names on
/// Windows); where the export cannot be found, <see cref="TrySetEnabled"/> says so and changes nothing. With oneDNN off,
/// libtorch computes convolutions with its native kernels, which the self-test re-checks.
/// </summary>
public static class OneDnn
{
    private static readonly object Gate = new();
    private static bool _enabled = true; // libtorch's default; the flag has no exported getter

    /// <summary>Whether oneDNN is enabled as far as this process has set it (libtorch starts with it on).</summary>
    public static bool Enabled { get { lock (Gate) return _enabled; } }

    /// <summary>Sets libtorch's oneDNN switch; false with a reason when this libtorch does not export it.</summary>
    public static bool TrySetEnabled(bool enabled, out string? whyNot)
    {
        lock (Gate)
        {
            TorchRuntime.EnsureLoaded();
            if (!TryResolve(out var globalContext, out var setEnabled, out whyNot)) return false;
            setEnabled!(globalContext!(), enabled);
            _enabled = enabled;
            return true;
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContextFunction();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFlagFunction(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    private static bool TryResolve(out GlobalContextFunction? globalContext, out SetFlagFunction? setEnabled, out string? whyNot)
    {
        globalContext = null;
        setEnabled = null;
        string? library = LoadedTorchCpu();
        if (library is null)
        {
            whyNot = "libtorch_cpu is not among this process's loaded libraries";
            return false;
        }
        IntPtr handle = NativeLibrary.Load(library);
        if (!TryExport(handle, out IntPtr context, "_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ")
            || !TryExport(handle, out IntPtr set, "_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"))
        {
            whyNot = $"{library} does not export at::Context::setUserEnabledMkldnn";
            return false;
        }
        globalContext = Marshal.GetDelegateForFunctionPointer<GlobalContextFunction>(context);
        setEnabled = Marshal.GetDelegateForFunctionPointer<SetFlagFunction>(set);
        whyNot = null;
        return true;
    }

    private static bool TryExport(IntPtr handle, out IntPtr address, params string[] names)
    {
        foreach (string name in names)
            if (NativeLibrary.TryGetExport(handle, name, out address)) return true;
        address = IntPtr.Zero;
        return false;
    }

    /// <summary>The path of the libtorch_cpu TorchSharp loaded (the same copy must be switched, not another one).</summary>
    private static string? LoadedTorchCpu()
    {
        using var process = Process.GetCurrentProcess();
        foreach (ProcessModule module in process.Modules)
        {
            string file = Path.GetFileName(module.FileName);
            if (file.StartsWith("libtorch_cpu.", StringComparison.Ordinal) || file.Equals("torch_cpu.dll", StringComparison.OrdinalIgnoreCase))
                return module.FileName;
        }
        return null;
    }
}
