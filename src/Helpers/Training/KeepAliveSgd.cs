using TorchSharp;
using static TorchSharp.torch;

namespace ModelSecurity.Training;

/// <summary>
/// TorchSharp's SGD with the same arithmetic, but every <see cref="Scalar"/> it passes to native code is created
/// explicitly, kept alive until the call returns and then disposed.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107's <c>SGD.step</c> converts the learning rate to a <see cref="Scalar"/> implicitly
/// (<c>param.add_(grad, alpha: -lr)</c>). That temporary has a finalizer and only its raw handle reaches the native
/// call, so a garbage collection during the call may finalize it and free the native scalar while libtorch reads it.
/// Under load, with many small steps (federated clients), this surfaced as a rare, non-deterministic
/// "Expected false to be true … toFloat" error from <c>SGD.step</c>. The course's trainer uses this class for "sgd".
/// </remarks>
public sealed class KeepAliveSgd : TorchSharp.Modules.SGD
{
    /// <summary>SGD over <paramref name="parameters"/>; arguments as for <c>torch.optim.SGD</c>.</summary>
    public KeepAliveSgd(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr, double momentum = 0, double weightDecay = 0)
        : base(parameters, lr, momentum, 0, weightDecay)
    {
    }

    /// <summary>One update: p ← p − lr · (g + wd·p), with momentum buffer b ← μ·b + g when μ &gt; 0.</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = closure?.Invoke();
        using var noGrad = no_grad();
        foreach (var group in ParamGroups.Cast<ParamGroup>())
        {
            var options = (Options)group.Options;
            double momentum = options.momentum ?? 0, weightDecay = options.weight_decay ?? 0, lr = options.LearningRate ?? 0;
            using var minusLr = (-lr).ToScalar();
            using var decay = weightDecay.ToScalar();
            using var mu = momentum.ToScalar();
            foreach (var param in group.Parameters)
            {
                using var grad = param.grad;
                if (grad is null) continue;
                using var step = weightDecay != 0 ? grad.add(param, decay) : grad.alias();
                if (momentum != 0)
                {
                    if (!_buffers.TryGetValue(param.Handle, out var buffer))
                        _buffers[param.Handle] = step.clone().detach().DetachFromDisposeScope();
                    else
                        buffer.mul_(mu).add_(step);
                    param.add_(_buffers[param.Handle], minusLr);
                }
                else
                {
                    param.add_(step, minusLr);
                }
            }
            GC.KeepAlive(minusLr);
            GC.KeepAlive(decay);
            GC.KeepAlive(mu);
        }
        return loss!;
    }

    private readonly Dictionary<IntPtr, Tensor> _buffers = new();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        foreach (var buffer in _buffers.Values) buffer.Dispose();
        _buffers.Clear();
    }
}
