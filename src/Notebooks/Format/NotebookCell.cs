using System.Text;
using System.Text.Json.Nodes;

namespace ModelSecurity.Notebooks.Format;

/// <summary>One cell of a <see cref="NotebookDocument"/>, a view over its JSON object.</summary>
public sealed class NotebookCell
{
    internal NotebookCell(JsonObject json) => Json = json;

    /// <summary>The cell's JSON; fields the engine does not know are kept as they are.</summary>
    public JsonObject Json { get; }

    /// <summary>Code, markdown or raw.</summary>
    public NotebookCellKind Kind => (string?)Json["cell_type"] switch
    {
        "code" => NotebookCellKind.Code,
        "markdown" => NotebookCellKind.Markdown,
        _ => NotebookCellKind.Raw,
    };

    /// <summary>The cell id (nbformat 4.5), or null when the file has none.</summary>
    public string? Id => Json["id"] is JsonValue v && v.TryGetValue(out string? id) ? id : null;

    /// <summary>The cell's text. Setting it stores a list of lines, as Jupyter does.</summary>
    public string Source
    {
        get => FromMultiline(Json["source"]);
        set => Json["source"] = ToMultiline(value);
    }

    /// <summary>Cell metadata.</summary>
    public JsonObject Metadata => (JsonObject)Json["metadata"]!;

    /// <summary>The tags in <c>metadata.tags</c>.</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags
            ? tags.OfType<JsonValue>().Select(t => t.TryGetValue(out string? s) ? s : null).OfType<string>().ToList()
            : [];

    /// <summary>True when <c>metadata.tags</c> contains <paramref name="tag"/>.</summary>
    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    /// <summary>Adds a tag to <c>metadata.tags</c> unless it is there already.</summary>
    public void AddTag(string tag)
    {
        if (HasTag(tag)) return;
        if (Metadata["tags"] is not JsonArray tags)
            Metadata["tags"] = tags = new JsonArray();
        tags.Add(tag);
    }

    /// <summary>
    /// The kernel the cell's metadata names: <c>polyglot_notebook.kernelName</c>, else <c>dotnet_interactive.language</c>;
    /// null when neither is there.
    /// </summary>
    public string? KernelName =>
        (Metadata["polyglot_notebook"] as JsonObject)?["kernelName"] is JsonValue k && k.TryGetValue(out string? name) ? name
        : (Metadata["dotnet_interactive"] as JsonObject)?["language"] is JsonValue l && l.TryGetValue(out string? lang) ? lang
        : null;

    /// <summary>The exercise id in <c>metadata.course.exercise</c>, or null.</summary>
    public string? ExerciseId =>
        (Metadata["course"] as JsonObject)?["exercise"] is JsonValue v && v.TryGetValue(out string? id) ? id : null;

    /// <summary>The outputs list of a code cell (empty for other cells).</summary>
    public JsonArray Outputs => Json["outputs"] as JsonArray ?? [];

    /// <summary>Removes every output and the execution count of a code cell.</summary>
    public void ClearOutputs()
    {
        if (Kind != NotebookCellKind.Code) return;
        Json["outputs"] = new JsonArray();
        Json["execution_count"] = null;
    }

    /// <summary>Sets the execution count of a code cell.</summary>
    public void SetExecutionCount(int? count)
    {
        if (Kind == NotebookCellKind.Code) Json["execution_count"] = count;
    }

    /// <summary>The execution count of a code cell, or null.</summary>
    public int? ExecutionCount => Json["execution_count"] is JsonValue v && v.TryGetValue(out int n) ? n : null;

    /// <summary>Joins nbformat's "multiline string" (a string or a list of strings).</summary>
    public static string FromMultiline(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonArray a => string.Concat(a.Select(item => item is JsonValue iv && iv.TryGetValue(out string? s) ? s : "")),
        _ => "",
    };

    /// <summary>Splits text into the list-of-lines form Jupyter writes (each line keeps its newline).</summary>
    public static JsonArray ToMultiline(string text)
    {
        var array = new JsonArray();
        var line = new StringBuilder();
        foreach (char c in text)
        {
            line.Append(c);
            if (c == '\n')
            {
                array.Add(line.ToString());
                line.Clear();
            }
        }
        if (line.Length > 0) array.Add(line.ToString());
        return array;
    }
}
