using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ModelSecurity.Training;

/// <summary>
/// Everything needed to reproduce a training run: architecture, data, optimizer, schedule and seed.
/// Stored in every checkpoint's metadata, so a shipped model says how it was made.
/// </summary>
public sealed record TrainingRecipe
{
    /// <summary>Short name of the recipe, e.g. "baseline".</summary>
    public string Name { get; init; } = "custom";

    /// <summary>Model architecture as known to <c>ModelZoo</c> (e.g. "kolter-madry-cnn").</summary>
    public string Architecture { get; init; } = "kolter-madry-cnn";

    /// <summary>Dataset name, e.g. "fashion-mnist".</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Number of passes over the training data.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Examples per optimizer step.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>"adam" or "sgd".</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>Peak learning rate (the schedule scales it).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>SGD momentum (ignored by Adam).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Learning-rate schedule: "constant", "cosine", "step" or "one-cycle".</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Seed for weight initialisation, shuffling and dropout.</summary>
    public int Seed { get; init; }

    /// <summary>Train on a random subset of this many examples (null: all).</summary>
    public int? TrainSubset { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field that makes no sense.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Recipe '{Name}': Epochs must be at least 1, not {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"Recipe '{Name}': BatchSize must be at least 1, not {BatchSize}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"Recipe '{Name}': LearningRate must be a positive number, not {LearningRate}.");
        if (Momentum < 0 || Momentum >= 1) throw new ArgumentException($"Recipe '{Name}': Momentum must be in [0, 1), not {Momentum}.");
        if (WeightDecay < 0) throw new ArgumentException($"Recipe '{Name}': WeightDecay must be ≥ 0, not {WeightDecay}.");
        if (TrainSubset is < 1) throw new ArgumentException($"Recipe '{Name}': TrainSubset must be positive, not {TrainSubset}.");
        if (Optimizer is not ("adam" or "sgd"))
            throw new ArgumentException($"Recipe '{Name}': Optimizer must be \"adam\" or \"sgd\", not \"{Optimizer}\".");
        LearningRateSchedules.Create(Schedule, Epochs); // throws for an unknown schedule
    }

    /// <summary>The recipe as a JSON object (for checkpoint metadata).</summary>
    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();

    /// <summary>Reads a recipe written by <see cref="ToJson"/>.</summary>
    public static TrainingRecipe FromJson(JsonNode json) =>
        json.Deserialize<TrainingRecipe>(JsonOptions) ?? throw new ArgumentException("The JSON holds no training recipe.");

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        TypeInfoResolver = HelpersJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
