using System.Globalization;
using ModelSecurity.Models;
using ModelSecurity.Runtime;

namespace ModelSecurity.Cli;

/// <summary>Options several commands share, parsed and explained the same way everywhere.</summary>
internal static class CommonOptions
{
    /// <summary><c>--device D</c>, else the COURSE_DEVICE variable, else CUDA when available, else the CPU.</summary>
    public static TorchSharp.torch.Device Device(ParsedArgs args) =>
        TorchRuntime.PickDevice(args.Value("device") ?? Environment.GetEnvironmentVariable(TorchRuntime.DeviceVariable));

    /// <summary>
    /// Where a training command saves its checkpoint: <c>--ship</c> → data/checkpoints/<paramref name="fileName"/>,
    /// else <c>--save PATH</c>, else artifacts/<paramref name="fileName"/> (full paths).
    /// </summary>
    public static string CheckpointPath(ParsedArgs args, string fileName) =>
        Path.GetFullPath(args.Flag("ship") ? ShippedModels.PathOf(fileName)
            : args.Value("save") ?? Path.Combine(CoursePaths.Root, "artifacts", fileName));

    /// <summary>A whole number &gt; 0, or a usage error naming the option.</summary>
    public static int PositiveInt(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v : throw new UsageException($"{option} takes a positive whole number, not '{value}'");

    /// <summary>A finite number &gt; 0, or a usage error naming the option.</summary>
    public static double PositiveNumber(string value, string option) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v)
            ? v : throw new UsageException($"{option} takes a positive number, not '{value}'");
}
