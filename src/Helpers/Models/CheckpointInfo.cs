using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace ModelSecurity.Models;

/// <summary>
/// What a checkpoint says about the model it holds: architecture, data, seed, accuracy, training recipe, and which
/// library wrote it. Stored as JSON in the checkpoint's header; readable without loading the weights
/// (<see cref="Checkpoint.ReadInfo"/>).
/// </summary>
/// <remarks>
/// Two descriptions are equal when all their fields are, comparing <see cref="Recipe"/> as JSON and <see cref="Extra"/>
/// by content, so a description read back from a file equals the one that was saved.
/// </remarks>
public sealed record CheckpointInfo
{
    /// <summary>Architecture name, one of <see cref="ModelZoo.Architectures"/> for the course's models.</summary>
    public required string Architecture { get; init; }

    /// <summary>Data the model was trained on, e.g. "mnist" or "fashion-mnist".</summary>
    public required string Dataset { get; init; }

    /// <summary>Number of classes (output logits).</summary>
    public required int NumClasses { get; init; }

    /// <summary>Seed given to <c>torch.manual_seed</c> before creating and training the model.</summary>
    public required int Seed { get; init; }

    /// <summary>Accuracy on the clean test set as a fraction in [0, 1], when measured.</summary>
    public double? TestAccuracy { get; init; }

    /// <summary>The training recipe (optimizer, epochs, learning rate, attack used for training …) as JSON.</summary>
    public JsonObject? Recipe { get; init; }

    /// <summary>Further facts as text, e.g. "epsilon" = "0.3", "pgdSteps" = "40", "beta" = "6", "dpEpsilon" = "8".</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }

    /// <summary>Free text for people: what this model is for.</summary>
    public string? Description { get; init; }

    /// <summary>When the checkpoint was made; defaults to the moment this description is created.</summary>
    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// The libraries that wrote the checkpoint, e.g. "ModelSecurity.Helpers 1.0.0; TorchSharp 0.107.0".
    /// <see cref="Checkpoint.Save"/> sets it to <see cref="CurrentLibraryVersion"/>.
    /// </summary>
    public string LibraryVersion { get; init; } = CurrentLibraryVersion;

    /// <summary>Version of the checkpoint file format; <see cref="Checkpoint.Save"/> sets it to <see cref="Checkpoint.FormatVersion"/>.</summary>
    public int FormatVersion { get; init; } = Checkpoint.FormatVersion;

    /// <summary>This course helper library's and TorchSharp's versions, e.g. "ModelSecurity.Helpers 1.0.0; TorchSharp 0.107.0".</summary>
    public static string CurrentLibraryVersion { get; } =
        $"{Describe(typeof(CheckpointInfo).Assembly)}; {Describe(typeof(TorchSharp.torch).Assembly)}";

    /// <summary>The description as indented JSON with camelCase names, as stored in checkpoints.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a description written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not such a description (malformed, or a required field missing).</exception>
    public static CheckpointInfo FromJson(string json) =>
        JsonSerializer.Deserialize<CheckpointInfo>(json, JsonOptions)
        ?? throw new JsonException("The JSON is 'null', not a checkpoint description.");

    /// <summary>Field-by-field equality; <see cref="Recipe"/> compared as JSON, <see cref="Extra"/> by content.</summary>
    public bool Equals(CheckpointInfo? other) =>
        other is not null
        && Architecture == other.Architecture
        && Dataset == other.Dataset
        && NumClasses == other.NumClasses
        && Seed == other.Seed
        && Nullable.Equals(TestAccuracy, other.TestAccuracy)
        && JsonNode.DeepEquals(Recipe, other.Recipe)
        && SameExtra(Extra, other.Extra)
        && Description == other.Description
        && CreatedUtc.Equals(other.CreatedUtc)
        && LibraryVersion == other.LibraryVersion
        && FormatVersion == other.FormatVersion;

    /// <summary>Hash of the scalar fields (consistent with <see cref="Equals(CheckpointInfo)"/>).</summary>
    public override int GetHashCode() =>
        HashCode.Combine(Architecture, Dataset, NumClasses, Seed, TestAccuracy, Description, CreatedUtc,
                         HashCode.Combine(LibraryVersion, FormatVersion, Extra?.Count ?? -1));

    /// <summary>Options used for the JSON in checkpoint headers.</summary>
    internal static JsonSerializerOptions JsonOptions { get; } = new()
    {
        TypeInfoResolver = HelpersJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        RespectNullableAnnotations = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static bool SameExtra(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if (a is null || b is null) return a is null && b is null;
        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out string? value) && value == kv.Value);
    }

    private static string Describe(Assembly assembly)
    {
        AssemblyName name = assembly.GetName();
        return $"{name.Name} {name.Version?.ToString(3) ?? "?"}";
    }
}
