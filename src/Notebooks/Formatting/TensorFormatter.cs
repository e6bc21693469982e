using System.Globalization;
using System.Text;
using ModelSecurity.Notebooks.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// TorchSharp tensors as a plain-text summary: dtype, shape, device, min/max/mean (floating-point tensors) and the
/// first few values. The full contents are never printed, so a 60000×784 tensor stays one short line.
/// </summary>
public sealed class TensorFormatter : DisplayFormatter<Tensor>
{
    /// <inheritdoc />
    protected override FormattedValue Format(Tensor tensor, DisplayContext context) =>
        FormattedValue.PlainText(Summarize(tensor, context.MaxItems));

    /// <summary>The summary text of a tensor.</summary>
    public static string Summarize(Tensor tensor, int maxItems = 10)
    {
        if (tensor.IsInvalid) return "Tensor (disposed)";
        var text = new StringBuilder("Tensor ");
        text.Append(tensor.dtype.ToString().ToLowerInvariant())
            .Append(" [").AppendJoin(", ", tensor.shape).Append("] on ").Append(tensor.device.ToString());
        if (tensor.requires_grad) text.Append(", requires_grad");
        long count = tensor.numel();
        if (count == 0) return text.Append(", empty").ToString();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool floating = tensor.dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;
        bool complex = tensor.dtype is ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64;
        if (complex) return text.ToString();

        var flat = tensor.detach().flatten();
        if (floating)
        {
            var asDouble = flat.to_type(ScalarType.Float64);
            text.Append("\nmin ").Append(Number(asDouble.min().ToDouble()))
                .Append(" · max ").Append(Number(asDouble.max().ToDouble()))
                .Append(" · mean ").Append(Number(asDouble.mean().ToDouble()));
        }
        int shown = (int)Math.Min(count, maxItems);
        var head = flat.slice(0, 0, shown, 1).cpu();
        string[] values = tensor.dtype switch
        {
            ScalarType.Bool => head.data<bool>().ToArray().Select(b => b ? "true" : "false").ToArray(),
            _ when floating => head.to_type(ScalarType.Float64).data<double>().ToArray().Select(Number).ToArray(),
            _ => head.to_type(ScalarType.Int64).data<long>().ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(),
        };
        text.Append('\n').Append(count > shown ? $"first {shown} of {count}: [" : "[").AppendJoin(", ", values);
        text.Append(count > shown ? ", …]" : "]");
        return text.ToString();
    }

    private static string Number(double value) => value.ToString("G5", CultureInfo.InvariantCulture);
}
