using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Tests;

/// <summary>Small accessors for the JSON the Python clients report.</summary>
internal static class JsonHelpers
{
    public static string Str(this JsonNode? node, string name) => (string?)node?[name] ?? "";

    /// <summary>The iopub messages of one execution, as (type, content).</summary>
    public static List<(string Type, JsonObject Content)> Iopub(this JsonNode? execution) =>
        (execution?["iopub"] as JsonArray ?? []).Select(m => (m.Str("type"), (JsonObject)m!["content"]!)).ToList();

    /// <summary>The message types of one execution's iopub messages, status messages as status:busy / status:idle.</summary>
    public static List<string> Types(this JsonNode? execution) =>
        execution.Iopub().Select(m => m.Type == "status" ? "status:" + m.Content.Str("execution_state") : m.Type).ToList();

    public static List<string> Strings(this JsonNode? node) => (node as JsonArray ?? []).Select(n => (string?)n ?? "").ToList();
}
