using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

/// <summary>Tiny hand-made models whose adversarial examples are known exactly.</summary>
internal static class ToyModels
{
    /// <summary>A linear classifier logits = W·flatten(x) + b with fixed weights (not trained).</summary>
    public sealed class Linear : nn.Module<Tensor, Tensor>
    {
        private readonly Tensor _weight;
        private readonly Tensor _bias;

        public Linear(float[,] weight, float[] bias) : base(nameof(Linear))
        {
            int classes = weight.GetLength(0), features = weight.GetLength(1);
            var flat = new float[classes * features];
            for (int c = 0; c < classes; c++)
                for (int f = 0; f < features; f++) flat[c * features + f] = weight[c, f];
            _weight = tensor(flat, new long[] { classes, features }).DetachFromDisposeScope();
            _bias = tensor(bias).DetachFromDisposeScope();
        }

        public override Tensor forward(Tensor input) => input.flatten(1).matmul(_weight.t()) + _bias;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _weight.Dispose();
                _bias.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Gradient masking by input quantization (e.g. 8-bit rounding, as a "defense" might do): the logits are those of the
    /// inner model on round(x·levels)/levels, so they still change with the input, but round has zero gradient everywhere.
    /// </summary>
    public sealed class Quantized : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;
        private readonly double _levels;

        public Quantized(nn.Module<Tensor, Tensor> inner, double levels) : base(nameof(Quantized))
        {
            _inner = inner;
            _levels = levels;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => _inner.forward((input * _levels).round() / _levels);
    }
}
