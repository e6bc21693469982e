using System.Globalization;
using System.Text;
using ModelSecurity.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ModelSecurity.Models;

/// <summary>
/// The course's model architectures by name: create one, tell which one a model is, count and describe its parameters.
/// Checkpoints record the name, so <see cref="Checkpoint.Load"/> can rebuild the right network.
/// </summary>
public static class ModelZoo
{
    /// <summary>The known architecture names: "linear", "mlp", "kolter-madry-cnn", "small-cnn", "tanh-cnn".</summary>
    public static IReadOnlyList<string> Architectures { get; } = Array.AsReadOnly(new[]
    {
        LinearClassifier.ArchitectureName,
        Mlp.ArchitectureName,
        KolterMadryCnn.ArchitectureName,
        SmallCnn.ArchitectureName,
        TanhCnn.ArchitectureName,
    });

    /// <summary>
    /// Creates a freshly initialized model of the named architecture (default sizes; the global seed,
    /// <c>torch.manual_seed</c>, decides the initial weights). The model is on the CPU, in training mode.
    /// </summary>
    /// <param name="architecture">One of <see cref="Architectures"/> (case and surrounding spaces ignored).</param>
    /// <param name="numClasses">Number of output logits; at least 2.</param>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Architectures"/>.</exception>
    public static Module<Tensor, Tensor> Create(string architecture, int numClasses = 10)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        TorchRuntime.EnsureLoaded();
        return Canonical(architecture) switch
        {
            LinearClassifier.ArchitectureName => new LinearClassifier(numClasses),
            Mlp.ArchitectureName => new Mlp(numClasses),
            KolterMadryCnn.ArchitectureName => new KolterMadryCnn(numClasses),
            SmallCnn.ArchitectureName => new SmallCnn(numClasses),
            TanhCnn.ArchitectureName => new TanhCnn(numClasses),
            _ => throw new ArgumentException(
                $"Unknown architecture '{architecture}'. Known architectures: {KnownList()}.", nameof(architecture)),
        };
    }

    /// <summary>The architecture name of a model created by this zoo (decided by the model's type).</summary>
    /// <exception cref="ArgumentException">The model is not one of the zoo's types.</exception>
    public static string ArchitectureOf(Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return TryArchitectureOf(model)
               ?? throw new ArgumentException(
                   $"A {model.GetType().Name} is not one of the zoo's architectures ({KnownList()}).", nameof(model));
    }

    /// <summary>Total number of scalar parameters (weights and biases, trainable or frozen; buffers not counted).</summary>
    public static long ParameterCount(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.parameters().Sum(p => p.numel());
    }

    /// <summary>
    /// A readable summary: the model's type and architecture, one line per layer with its parameter shapes and count,
    /// and the total number of parameters. Works for any module, not only the zoo's.
    /// </summary>
    public static string Describe(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var culture = CultureInfo.InvariantCulture;
        var rows = new List<(string Name, string Kind, string Shapes, long Count)>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any()) continue; // containers: their layers are listed themselves
            var own = module.named_parameters(recurse: false).ToList();
            string shapes = string.Join(", ", own.Select(p => $"{p.name} {ImageInput.Format(p.parameter.shape)}"));
            rows.Add((name.Length == 0 ? "(model)" : name, module.GetType().Name, shapes, own.Sum(p => p.parameter.numel())));
        }

        string? architecture = model is Module<Tensor, Tensor> typed ? TryArchitectureOf(typed) : null;
        int? classes = model is Module<Tensor, Tensor> typed2 ? TryNumClassesOf(typed2) : null;
        var text = new StringBuilder();
        text.Append(model.GetType().Name);
        if (architecture is not null) text.Append(culture, $" ('{architecture}', {classes} classes)");
        text.Append(model.training ? ", training mode" : ", eval mode");
        Device? device = model.parameters().FirstOrDefault()?.device;
        if (device is not null) text.Append(culture, $", on {device}");
        text.AppendLine();

        int nameWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length);
        int kindWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Kind.Length);
        foreach (var row in rows)
        {
            string line = $"  {row.Name.PadRight(nameWidth)}  {row.Kind.PadRight(kindWidth)}";
            if (row.Count > 0) line += string.Create(culture, $"  {row.Shapes}  = {row.Count:N0}");
            text.AppendLine(line.TrimEnd());
        }

        long total = ParameterCount(model);
        long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        text.Append(culture, $"Parameters: {total:N0}");
        if (trainable != total) text.Append(culture, $" ({trainable:N0} trainable)");
        return text.ToString();
    }

    /// <summary>The known names, quoted, for error messages.</summary>
    internal static string KnownList() => string.Join(", ", Architectures.Select(a => $"'{a}'"));

    /// <summary>The zoo's spelling of a name (case and surrounding spaces ignored), or the trimmed input when it is not a known name.</summary>
    public static string Canonical(string architecture) =>
        Architectures.FirstOrDefault(a => string.Equals(a, architecture.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? architecture.Trim();

    /// <summary>The architecture name of a zoo model, or null for any other module.</summary>
    internal static string? TryArchitectureOf(Module<Tensor, Tensor> model) => model switch
    {
        LinearClassifier => LinearClassifier.ArchitectureName,
        Mlp => Mlp.ArchitectureName,
        KolterMadryCnn => KolterMadryCnn.ArchitectureName,
        SmallCnn => SmallCnn.ArchitectureName,
        TanhCnn => TanhCnn.ArchitectureName,
        _ => null,
    };

    /// <summary>The number of classes of a zoo model, or null for any other module.</summary>
    internal static int? TryNumClassesOf(Module<Tensor, Tensor> model) => model switch
    {
        LinearClassifier m => m.NumClasses,
        Mlp m => m.NumClasses,
        KolterMadryCnn m => m.NumClasses,
        SmallCnn m => m.NumClasses,
        TanhCnn m => m.NumClasses,
        _ => null,
    };

    /// <summary>
    /// Creates the zoo model whose parameters have the given shapes: the architecture and class count come from a
    /// checkpoint's description, sizes not recorded there (the hidden width of an <see cref="Mlp"/>) from its weights.
    /// </summary>
    internal static Module<Tensor, Tensor> CreateFor(string architecture, int numClasses, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (Canonical(architecture) == Mlp.ArchitectureName
            && shapes.TryGetValue("fc1.weight", out long[]? fc1) && fc1.Length == 2 && fc1[0] is > 0 and <= int.MaxValue)
            return new Mlp(numClasses, (int)fc1[0]);
        return Create(architecture, numClasses);
    }
}
