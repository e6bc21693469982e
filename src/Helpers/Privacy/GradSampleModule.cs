using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// Computes per-example gradients of a model in ONE forward and ONE backward pass for the whole batch (the name is
/// Opacus's). Forward hooks on the supported layers record each call's input and output; the per-example losses are
/// summed and differentiated with respect to those outputs (<c>autograd.grad</c>, not <c>backward</c>: the
/// parameters' <c>.grad</c> is never touched), and <see cref="LayerGradients"/> turns input and output gradient into
/// per-example weight and bias gradients. Cost: about one ordinary training step plus the per-example tensors
/// (N × number of parameters floats), which is why DP-SGD processes large logical batches in physical chunks.
/// </summary>
/// <remarks>
/// <para>The constructor refuses models DP-SGD cannot train (see <see cref="PrivacyCompatibility"/>).</para>
/// <para>
/// Hooks run only when a layer is invoked through <c>call</c> (as <c>Sequential</c> and the course's models do);
/// a model that calls <c>layer.forward(x)</c> directly bypasses them, and <see cref="Compute"/> then stops with a
/// message rather than return wrong gradients. A layer called several times per forward pass (shared weights) gets
/// the sum of its calls' contributions, as autograd would. Outside <see cref="Compute"/> the hooks record nothing,
/// so the model can be evaluated as usual. <see cref="Dispose"/> removes the hooks; it does not dispose the model.
/// </para>
/// </remarks>
public sealed class GradSampleModule : IDisposable
{
    private readonly List<HookedLayer> _layers = new();
    private readonly List<Parameter> _parameters = new();
    private readonly List<string> _names = new();
    private bool _capturing, _disposed;

    /// <summary>Checks the model and hooks its supported layers.</summary>
    /// <param name="model">The model; it keeps working as before when not computing per-example gradients.</param>
    /// <param name="loss">Per-example loss (default: <see cref="PerExampleLosses.CrossEntropy"/>).</param>
    /// <exception cref="ArgumentException">The model has a layer DP-SGD cannot handle (the message names it and says what to do).</exception>
    public GradSampleModule(nn.Module<Tensor, Tensor> model, PerExampleLoss? loss = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        PrivacyCompatibility.Check(model);
        Model = model;
        Loss = loss ?? PerExampleLosses.CrossEntropy;
        try
        {
            foreach (var (path, module) in model.named_modules())
                if (LayerGradients.HasFormula(module))
                    Hook(path, module);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The model whose layers are hooked.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The per-example loss that is differentiated.</summary>
    public PerExampleLoss Loss { get; }

    /// <summary>The trainable parameters, in the order of <see cref="PerExampleGradients.Gradients"/>.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Their names, e.g. "fc1.weight".</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> and returns every example's gradient of its own loss, for every
    /// trainable parameter. The model's mode (train/eval) is left as it is; the parameters' <c>.grad</c> is not used.
    /// </summary>
    /// <param name="inputs">A batch (N, …) on the model's device, N ≥ 1.</param>
    /// <param name="labels">Labels (N).</param>
    /// <exception cref="ArgumentException">Inputs and labels do not form a non-empty batch.</exception>
    /// <exception cref="InvalidOperationException">
    /// Called inside <c>no_grad()</c>, the loss is not per-example, or a hooked layer was used without its hook running.
    /// </exception>
    public PerExampleGradients Compute(Tensor inputs, Tensor labels)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.dim() == 0 || labels.dim() != 1 || inputs.shape[0] != labels.shape[0] || labels.shape[0] == 0)
            throw new ArgumentException(
                $"Per-example gradients need a non-empty batch: inputs (N, …) and labels (N) with the same N ≥ 1; got " +
                $"{Guard.Shape(inputs)} and {Guard.Shape(labels)}.");
        if (!is_grad_enabled())
            throw new InvalidOperationException("Per-example gradients cannot be computed inside no_grad(); call Compute outside it.");

        Runtime.NumericsGuard.EnsureConvolutionGradients(Model);
        long n = inputs.shape[0];
        using var scope = NewDisposeScope();
        foreach (var layer in _layers) layer.Calls.Clear();
        try
        {
            Tensor logits;
            _capturing = true;
            try
            {
                logits = Model.call(inputs); // call, so that a model that is itself a hooked layer runs its hook too
            }
            finally
            {
                _capturing = false;
            }

            var losses = Loss(logits, labels);
            if (losses.dim() != 1 || losses.shape[0] != n)
                throw new InvalidOperationException(
                    $"The per-example loss must return one value per example, shape ({n}), not {Guard.Shape(losses)}: use reduction None.");

            // Differentiate the summed loss w.r.t. every recorded layer output, and w.r.t. the parameters of hooked layers
            // that recorded nothing: those must be unused, or the model called the layer without running its hooks.
            var calls = _layers.SelectMany(l => l.Calls.Select(c => (Layer: l, c.Input, c.Output))).Where(c => c.Output.requires_grad).ToList();
            var silentParameters = _layers.Where(l => l.Calls.Count == 0)
                .SelectMany(l => l.Indices.Select(i => (Layer: l, Parameter: (Tensor)_parameters[i]))).ToList();
            var targets = calls.Select(c => c.Output).Concat(silentParameters.Select(s => s.Parameter)).ToList();
            var grads = targets.Count == 0 ? new List<Tensor>()
                : autograd.grad(new[] { losses.sum() }, targets, allow_unused: true).ToList();
            for (int i = 0; i < silentParameters.Count; i++)
                if (!grads[calls.Count + i].IsInvalid)
                {
                    var layer = silentParameters[i].Layer;
                    throw new InvalidOperationException(
                        $"Layer '{layer.Path}' ({layer.Module.GetType().Name}) was used in the forward pass without running its forward " +
                        $"hooks, so its per-example gradients cannot be computed. The model probably calls {layer.Path}.forward(x) " +
                        $"directly: call {layer.Path}.call(x) instead (or put the layers in a Sequential).");
                }

            var sums = new Tensor?[_parameters.Count];
            using (no_grad())
            {
                for (int c = 0; c < calls.Count; c++)
                {
                    if (grads[c].IsInvalid) continue; // output not used by the loss: zero gradient
                    var (layer, input, _) = calls[c];
                    var (weight, bias) = LayerGradients.Compute(layer.Module, input, grads[c]);
                    Accumulate(sums, layer.WeightIndex, weight);
                    Accumulate(sums, layer.BiasIndex, bias);
                }
                for (int i = 0; i < sums.Length; i++)
                    sums[i] ??= zeros(new[] { n }.Concat(_parameters[i].shape).ToArray(), _parameters[i].dtype, _parameters[i].device);
            }
            return new PerExampleGradients(_names.ToArray(), sums.Select(s => s!.MoveToOuterDisposeScope()).ToArray(),
                losses.detach().MoveToOuterDisposeScope(), logits.detach().MoveToOuterDisposeScope());
        }
        finally
        {
            foreach (var layer in _layers) layer.Calls.Clear();
        }
    }

    /// <summary>Removes the hooks (the model stays usable, without them). Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var layer in _layers) layer.Remover?.remove();
        _layers.Clear();
    }

    /// <summary>Registers the layer's trainable parameters and a forward hook that records its calls during <see cref="Compute"/>.</summary>
    private void Hook(string path, nn.Module module)
    {
        if (_layers.Any(l => ReferenceEquals(l.Module, module))) return; // registered under two names: one hook records every call
        var own = module.named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter);
        var weight = own.GetValueOrDefault("weight") is { requires_grad: true } w ? w : null;
        var bias = own.GetValueOrDefault("bias") is { requires_grad: true } b ? b : null;
        if (weight is null && bias is null) return; // frozen: nothing to compute
        var layer = new HookedLayer(path, module, weight is null ? -1 : Add(weight, path, "weight"), bias is null ? -1 : Add(bias, path, "bias"));
        layer.Remover = ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, input, output) =>
        {
            if (!_capturing) return output;
            // Containers such as Sequential dispose the tensors they pass between layers as soon as the next layer has
            // run. So keep handles of our own: the input's values (detach shares them) and the output itself, and hand
            // the rest of the model an alias of the output (an identity view, through which the gradient flows back).
            layer.Calls.Add((input.detach(), output));
            return output.alias();
        });
        _layers.Add(layer);
    }

    private int Add(Parameter parameter, string path, string suffix)
    {
        int shared = _parameters.FindIndex(p => ReferenceEquals(p, parameter));
        if (shared >= 0)
            throw new ArgumentException(
                $"Parameter '{_names[shared]}' is also '{(path.Length == 0 ? suffix : $"{path}.{suffix}")}' (tied weights); DP-SGD's " +
                "per-example gradients do not support a parameter shared by two layers. Call one layer twice instead.", "model");
        _parameters.Add(parameter);
        _names.Add(path.Length == 0 ? suffix : $"{path}.{suffix}");
        return _parameters.Count - 1;
    }

    private static void Accumulate(Tensor?[] sums, int index, Tensor? perExample)
    {
        if (index < 0 || perExample is null) return;
        sums[index] = sums[index] is { } sum ? sum.add_(perExample) : perExample;
    }

    /// <summary>A hooked layer, the indices of its weight and bias in <see cref="Parameters"/> (−1: none or frozen), its recorded calls.</summary>
    private sealed class HookedLayer(string path, nn.Module module, int weightIndex, int biasIndex)
    {
        public string Path { get; } = path;
        public nn.Module Module { get; } = module;
        public int WeightIndex { get; } = weightIndex;
        public int BiasIndex { get; } = biasIndex;
        public IEnumerable<int> Indices => new[] { WeightIndex, BiasIndex }.Where(i => i >= 0);
        public List<(Tensor Input, Tensor Output)> Calls { get; } = new();
        public nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover? Remover { get; set; }
    }
}
