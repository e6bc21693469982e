using System.Text.Json.Serialization;
using ModelSecurity.Models;
using ModelSecurity.Training;

namespace ModelSecurity;

/// <summary>
/// Source-generated JSON metadata for the types the helpers store (recipes, checkpoint headers), so
/// serialization also works where reflection-based JSON is off (trimmed apps, `dotnet run app.cs`).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TrainingRecipe))]
[JsonSerializable(typeof(CheckpointInfo))]
internal sealed partial class HelpersJsonContext : JsonSerializerContext
{
}
