using System.Text.Json.Nodes;

namespace ModelSecurity.Notebooks.Format;

/// <summary>One output of a code cell, as nbformat 4 stores it.</summary>
public abstract record CellOutput
{
    /// <summary>The nbformat JSON of this output.</summary>
    public abstract JsonObject ToJson();

    /// <summary>Reads an output back from nbformat JSON (unknown output types give null).</summary>
    public static CellOutput? FromJson(JsonObject json)
    {
        string? type = (string?)json["output_type"];
        switch (type)
        {
            case "stream":
                return new StreamOutput((string?)json["name"] ?? "stdout", NotebookCell.FromMultiline(json["text"]));
            case "error":
                return new ErrorOutput((string?)json["ename"] ?? "", (string?)json["evalue"] ?? "",
                    (json["traceback"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? []);
            case "display_data":
            case "execute_result":
                var data = new Dictionary<string, string>(StringComparer.Ordinal);
                if (json["data"] is JsonObject d)
                    foreach (var (mime, value) in d)
                        data[mime] = value is JsonObject or null ? value?.ToJsonString() ?? "" : NotebookCell.FromMultiline(value);
                var value2 = new FormattedValue(data);
                return type == "execute_result"
                    ? new DisplayOutput(value2, IsResult: true, ExecutionCount: json["execution_count"] is JsonValue v && v.TryGetValue(out int n) ? n : null)
                    : new DisplayOutput(value2);
            default:
                return null;
        }
    }
}

/// <summary>Text written to standard output or standard error.</summary>
/// <param name="Name"><c>stdout</c> or <c>stderr</c>.</param>
/// <param name="Text">The text, newlines included.</param>
public sealed record StreamOutput(string Name, string Text) : CellOutput
{
    /// <inheritdoc />
    public override JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["output_type"] = "stream",
        ["text"] = NotebookCell.ToMultiline(Text),
    };
}

/// <summary>A displayed value (<c>display_data</c>) or a cell's result (<c>execute_result</c>).</summary>
/// <param name="Value">The MIME bundle.</param>
/// <param name="IsResult">True for the value of a cell's trailing expression.</param>
/// <param name="ExecutionCount">The cell's execution count, for results.</param>
/// <param name="DisplayId">Identifies the output so <c>DisplayedValue.Update</c> can replace it.</param>
public sealed record DisplayOutput(FormattedValue Value, bool IsResult = false, int? ExecutionCount = null, string? DisplayId = null) : CellOutput
{
    /// <inheritdoc />
    public override JsonObject ToJson()
    {
        var data = new JsonObject();
        foreach (var (mime, text) in Value.Data)
            data[mime] = IsJsonMime(mime) && TryParseJson(text) is { } parsed
                ? parsed // nbformat stores JSON MIME types (e.g. application/vnd.plotly.v1+json) as JSON, not as a string
                : mime.StartsWith("image/", StringComparison.Ordinal) && mime != "image/svg+xml"
                    ? text
                    : NotebookCell.ToMultiline(text);
        var metadata = new JsonObject();
        if (Value.Metadata is not null)
            foreach (var (key, node) in Value.Metadata)
                metadata[key] = node?.DeepClone();
        var json = new JsonObject { ["data"] = data, ["metadata"] = metadata, ["output_type"] = IsResult ? "execute_result" : "display_data" };
        if (IsResult) json["execution_count"] = ExecutionCount;
        return json;
    }

    /// <summary>True for MIME types whose content is JSON (<c>application/json</c>, <c>…+json</c>).</summary>
    public static bool IsJsonMime(string mime) => mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal);

    private static JsonNode? TryParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>An exception or compilation error.</summary>
/// <param name="EName">Exception type (e.g. <c>System.InvalidOperationException</c>) or <c>CompilationError</c>.</param>
/// <param name="EValue">The message.</param>
/// <param name="Traceback">Lines pointing at the cell and the line within it.</param>
public sealed record ErrorOutput(string EName, string EValue, IReadOnlyList<string> Traceback) : CellOutput
{
    /// <inheritdoc />
    public override JsonObject ToJson() => new()
    {
        ["ename"] = EName,
        ["evalue"] = EValue,
        ["output_type"] = "error",
        ["traceback"] = new JsonArray(Traceback.Select(line => (JsonNode?)JsonValue.Create(line)).ToArray()),
    };
}

/// <summary>A MIME bundle: the same value rendered as one or more MIME types (text/plain, text/html, image/png, ...).</summary>
public sealed class FormattedValue
{
    /// <summary>Creates a bundle.</summary>
    /// <param name="data">MIME type to content (base64 for binary types such as image/png).</param>
    /// <param name="metadata">Optional output metadata, e.g. <c>{"image/png": {"width": 28, "height": 28}}</c>.</param>
    public FormattedValue(IReadOnlyDictionary<string, string> data, IReadOnlyDictionary<string, JsonNode?>? metadata = null)
    {
        Data = data;
        Metadata = metadata;
    }

    /// <summary>MIME type to content.</summary>
    public IReadOnlyDictionary<string, string> Data { get; }

    /// <summary>Output metadata, or null.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Metadata { get; }

    /// <summary>A text/plain bundle.</summary>
    public static FormattedValue PlainText(string text) => new(new Dictionary<string, string> { ["text/plain"] = text });

    /// <summary>A bundle with HTML and its plain-text fallback.</summary>
    public static FormattedValue Html(string html, string plainText) =>
        new(new Dictionary<string, string> { ["text/html"] = html, ["text/plain"] = plainText });

    /// <summary>The bundle restricted to <paramref name="mimeTypes"/> (those it has).</summary>
    public FormattedValue Only(IReadOnlyCollection<string> mimeTypes) =>
        new(Data.Where(kv => mimeTypes.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), Metadata);
}
