using System.Text.Json.Nodes;

namespace ModelSecurity.Tests.Shared;

/// <summary>
/// Compares a chapter run on the test parameters with the committed notebook (run on the full parameters): only
/// whether a code cell has rich output (text/html: tables, charts, image grids) is compared, not how many outputs or
/// what they say, so a cell that silently stopped displaying its result is caught. Used by the engine's chapter test
/// (Notebooks.Tests) and the kernel's (Kernel.Tests); compiled into both from tests/Shared.
/// </summary>
internal static class RichOutputs
{
    /// <summary>The code cells of an nbformat notebook, in order.</summary>
    public static List<JsonObject> CodeCells(JsonNode notebook) =>
        ((JsonArray)notebook["cells"]!).Select(c => (JsonObject)c!).Where(c => (string?)c["cell_type"] == "code").ToList();

    /// <summary>
    /// How many of the cell's outputs carry text/html, live progress displays not counted: whether a cell shows one
    /// depends on how long it ran, not on what it computed.
    /// </summary>
    public static int HtmlOutputs(JsonObject cell) =>
        cell["outputs"] is JsonArray outputs
            ? outputs.Count(o => o is JsonObject output && output["data"] is JsonObject data && data.ContainsKey("text/html")
                                 && !Notebooks.Execution.ProgressDisplay.IsProgress(output))
            : 0;

    /// <summary>
    /// Null when <paramref name="ran"/> has rich output exactly when <paramref name="committed"/> has; else what differs.
    /// A committed cell that was never run (outputs cleared) says nothing about the outputs to expect.
    /// </summary>
    public static string? Mismatch(JsonObject committed, JsonObject ran)
    {
        if (committed["execution_count"] is null) return null;
        int expected = HtmlOutputs(committed), actual = HtmlOutputs(ran);
        return (expected > 0) == (actual > 0) ? null : $"has {actual} text/html outputs, the committed notebook {expected}";
    }
}
