using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ModelSecurity.Privacy;

/// <summary>
/// Decides whether DP-SGD can train a model: every trainable parameter must belong to a layer whose per-example
/// gradient the engine computes (Linear, Conv2d with groups = 1, GroupNorm, LayerNorm), no layer may mix the examples
/// of a batch (BatchNorm), and no layer may overwrite another's output in place. Layers without parameters
/// (activations, pooling, dropout, flatten) are fine.
/// </summary>
/// <remarks>
/// What this check cannot see: a custom module's <c>forward</c> that uses a parameter or mixes examples outside any
/// layer (e.g. <c>x - x.mean(0)</c>), or calls a layer's <c>forward</c> directly instead of <c>call</c>. The last case
/// is caught when gradients are computed (<see cref="GradSampleModule.Compute"/>); the first two are the model
/// author's responsibility.
/// </remarks>
public static class PrivacyCompatibility
{
    /// <summary>The layer types whose per-example gradients are computed.</summary>
    public static IReadOnlyList<string> SupportedLayers { get; } = Array.AsReadOnly(new[] { "Linear", "Conv2d", "GroupNorm", "LayerNorm" });

    /// <summary>
    /// One message per layer that prevents DP-SGD, naming the layer and what to do; empty when the model is fine.
    /// </summary>
    public static IReadOnlyList<string> Problems(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var problems = new List<string>();
        long trainable = 0;
        foreach (var (path, module) in model.named_modules())
        {
            string name = path.Length == 0 ? "(the model itself)" : $"'{path}'";
            string type = module.GetType().Name;
            var own = module.named_parameters(recurse: false).Where(p => p.parameter.requires_grad).ToList();
            trainable += own.Sum(p => p.parameter.numel());

            if (module is BatchNorm)
                problems.Add(
                    $"Layer {name} ({type}) normalises each example with statistics of the whole batch, so one example's gradient " +
                    "depends on the other examples and per-example clipping no longer bounds any single example's influence. " +
                    "Replace it with GroupNorm (e.g. nn.GroupNorm(Math.Min(32, channels), channels), then set its weight to 1 and its " +
                    "bias to 0: TorchSharp 0.107 leaves them uninitialised) or LayerNorm, which DP-SGD supports, or remove it " +
                    "(DP-SGD works without normalisation layers, e.g. the zoo's 'small-cnn').");
            else if (IsInPlace(module))
                problems.Add(
                    $"Layer {name} ({type}) works in place and would overwrite the output of the layer before it, which DP-SGD " +
                    $"reads to compute per-example gradients. Create it with inplace: false.");
            else if (own.Count > 0 && !LayerGradients.HasFormula(module))
                problems.Add(
                    $"Layer {name} ({type}) has trainable parameters ({string.Join(", ", own.Select(p => p.name))}) whose per-example " +
                    $"gradients DP-SGD cannot compute; it supports {string.Join(", ", SupportedLayers)}. Use a supported architecture " +
                    $"(the zoo's {Models.ModelZoo.KnownList()} all are), rebuild the layer from supported ones, or freeze it " +
                    "(parameter.requires_grad = false) if it treats every example separately.");
            else if (own.Count > 0 && module is Conv2d { groups: not 1 } grouped)
                problems.Add(
                    $"Layer {name} (Conv2d) has groups = {grouped.groups}; DP-SGD computes per-example gradients of ordinary " +
                    "convolutions only. Use groups = 1 (or freeze the layer).");
        }
        if (trainable == 0 && problems.Count == 0)
            problems.Add("The model has no trainable parameters, so there is nothing for DP-SGD to train.");
        return problems;
    }

    /// <summary>Throws when <see cref="Problems"/> finds any, with all of them in the message.</summary>
    /// <exception cref="ArgumentException">The model cannot be trained with DP-SGD; the message says why and what to do.</exception>
    public static void Check(nn.Module model, string parameterName = "model")
    {
        var problems = Problems(model);
        if (problems.Count == 0) return;
        throw new ArgumentException(
            $"DP-SGD cannot train this {model.GetType().Name}:{Environment.NewLine}- " +
            string.Join(Environment.NewLine + "- ", problems), parameterName);
    }

    /// <summary>True for modules created with <c>inplace: true</c> (ReLU, Dropout, …), found by their <c>inplace</c> property.</summary>
    private static bool IsInPlace(nn.Module module) =>
        module.GetType().GetProperty("inplace", BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var t } property
        && t == typeof(bool) && (bool)property.GetValue(module)!;
}
