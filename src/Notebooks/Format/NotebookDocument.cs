using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelSecurity.Notebooks.Format;

/// <summary>
/// An nbformat 4 notebook held as a JSON tree, so that every field this engine does not know about
/// (notebook, cell and output metadata of other tools) survives a load and a save unchanged.
/// </summary>
public sealed class NotebookDocument
{
    private readonly List<NotebookCell> _cells;

    private NotebookDocument(JsonObject root, string? path, List<NotebookCell> cells)
    {
        Root = root;
        FilePath = path;
        _cells = cells;
    }

    /// <summary>The whole notebook as JSON. Cells are reached through <see cref="Cells"/>.</summary>
    public JsonObject Root { get; }

    /// <summary>The file the notebook was read from, when it was read from a file.</summary>
    public string? FilePath { get; }

    /// <summary>The cells, in order.</summary>
    public IReadOnlyList<NotebookCell> Cells => _cells;

    /// <summary>Notebook-level metadata (kernelspec, language_info, polyglot_notebook, ...).</summary>
    public JsonObject Metadata => (JsonObject)Root["metadata"]!;

    /// <summary>Reads and checks a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is missing, not JSON, not nbformat 4, or its cells are malformed.</exception>
    public static NotebookDocument Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException(path, "cannot be read: " + e.Message, e);
        }
        return Parse(text, Path.GetFullPath(path));
    }

    /// <summary>Parses notebook JSON.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="path">Used in error messages and remembered as <see cref="FilePath"/>.</param>
    /// <exception cref="NotebookFormatException">The text is not an nbformat 4 notebook.</exception>
    public static NotebookDocument Parse(string json, string? path = null)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            throw new NotebookFormatException(path, $"is not valid JSON{where}: {e.Message}", e);
        }
        if (node is not JsonObject root)
            throw new NotebookFormatException(path, "is not a notebook: the JSON is not an object with \"nbformat\" and \"cells\".");

        if (root["nbformat"] is not JsonValue formatValue || !formatValue.TryGetValue(out int major))
            throw new NotebookFormatException(path, "is not a Jupyter notebook: the \"nbformat\" field is missing or not a number.");
        if (major != 4)
            throw new NotebookFormatException(path,
                $"is nbformat {major}; this engine reads nbformat 4 only (open and save it in Jupyter or VS Code to convert it).");
        if (root["nbformat_minor"] is not JsonValue minorValue || !minorValue.TryGetValue(out int _))
            throw new NotebookFormatException(path, "is not a valid nbformat 4 notebook: \"nbformat_minor\" is missing or not a number.");
        if (root["metadata"] is null)
            root["metadata"] = new JsonObject();
        else if (root["metadata"] is not JsonObject)
            throw new NotebookFormatException(path, "is not a valid nbformat 4 notebook: \"metadata\" is not an object.");
        if (root["cells"] is not JsonArray cellArray)
            throw new NotebookFormatException(path,
                root["cells"] is null
                    ? "is not a valid nbformat 4 notebook: the \"cells\" list is missing."
                    : "is not a valid nbformat 4 notebook: \"cells\" is not a list.");

        var cells = new List<NotebookCell>(cellArray.Count);
        for (int i = 0; i < cellArray.Count; i++)
        {
            if (cellArray[i] is not JsonObject cell)
                throw new NotebookFormatException(path, $"cell {i + 1} is not a JSON object.");
            string? type = (cell["cell_type"] as JsonValue)?.TryGetValue(out string? t) == true ? t : null;
            if (type is not ("code" or "markdown" or "raw"))
                throw new NotebookFormatException(path,
                    $"cell {i + 1} has cell_type {(type is null ? "missing" : $"\"{type}\"")}; expected \"code\", \"markdown\" or \"raw\".");
            if (!IsMultilineString(cell["source"]))
                throw new NotebookFormatException(path, $"cell {i + 1} has no \"source\" (a string or a list of strings).");
            if (cell["metadata"] is null) cell["metadata"] = new JsonObject();
            else if (cell["metadata"] is not JsonObject)
                throw new NotebookFormatException(path, $"cell {i + 1}: \"metadata\" is not an object.");
            if (type == "code")
            {
                if (cell["outputs"] is null) cell["outputs"] = new JsonArray();
                else if (cell["outputs"] is not JsonArray)
                    throw new NotebookFormatException(path, $"cell {i + 1}: \"outputs\" is not a list.");
                if (!cell.ContainsKey("execution_count")) cell["execution_count"] = null;
            }
            cells.Add(new NotebookCell(cell));
        }
        return new NotebookDocument(root, path, cells);
    }

    /// <summary>A new, empty notebook with the metadata VS Code's .NET notebooks write (nbformat 4.5).</summary>
    public static NotebookDocument CreateNew()
    {
        var root = new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = CSharpLanguageInfo.Create(),
                ["polyglot_notebook"] = new JsonObject
                {
                    ["kernelInfo"] = new JsonObject
                    {
                        ["defaultKernelName"] = "csharp",
                        ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
                    },
                },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        return new NotebookDocument(root, null, []);
    }

    /// <summary>Inserts a new cell at <paramref name="index"/> (0-based) and returns it.</summary>
    public NotebookCell InsertCell(int index, NotebookCellKind kind, string source)
    {
        var json = new JsonObject
        {
            ["cell_type"] = kind switch { NotebookCellKind.Code => "code", NotebookCellKind.Markdown => "markdown", _ => "raw" },
            ["id"] = NewCellId(),
            ["metadata"] = new JsonObject(),
            ["source"] = NotebookCell.ToMultiline(source),
        };
        if (kind == NotebookCellKind.Code)
        {
            json["metadata"] = new JsonObject
            {
                ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            };
            json["outputs"] = new JsonArray();
            json["execution_count"] = null;
        }
        var cell = new NotebookCell(json);
        CellArray.Insert(index, json);
        _cells.Insert(index, cell);
        return cell;
    }

    /// <summary>Appends a new cell.</summary>
    public NotebookCell AddCell(NotebookCellKind kind, string source) => InsertCell(_cells.Count, kind, source);

    /// <summary>Removes a cell.</summary>
    public void RemoveCell(NotebookCell cell)
    {
        int index = _cells.IndexOf(cell);
        if (index < 0) return;
        _cells.RemoveAt(index);
        CellArray.RemoveAt(index);
    }

    /// <summary>1-based position of a cell, counting every cell (code, markdown and raw), as error messages name them.</summary>
    public int NumberOf(NotebookCell cell) => _cells.IndexOf(cell) + 1;

    /// <summary>
    /// Brings the notebook to nbformat 4.5 as written by this engine: every cell gets a unique id
    /// (cells lacking one, or with an invalid or duplicate one), and the .NET kernel metadata is added when missing.
    /// </summary>
    public void Normalize()
    {
        Root["nbformat"] = 4;
        if (Root["nbformat_minor"] is not JsonValue v || !v.TryGetValue(out int minor) || minor < 5)
            Root["nbformat_minor"] = 5;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in _cells)
        {
            string? id = cell.Id;
            if (id is null || !IsValidCellId(id) || !seen.Add(id))
            {
                do id = NewCellId(); while (!seen.Add(id));
                cell.Json["id"] = id;
            }
        }
        var metadata = Metadata;
        var template = CreateNew().Metadata;
        foreach (string key in new[] { "kernelspec", "language_info", "polyglot_notebook" })
            if (metadata[key] is null)
                metadata[key] = template[key]!.DeepClone();
    }

    /// <summary>
    /// The notebook as JSON text in the layout Jupyter (nbformat) saves: keys in ordinal order, multi-line strings as lists
    /// of lines, one-space indentation and a trailing newline. Writing it that way means that opening a notebook the course
    /// wrote and saving it from Jupyter without changes leaves the file, and git, as it was.
    /// </summary>
    public string ToJson()
    {
        ToJupyterLayout();
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            IndentSize = 1,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return Root.ToJsonString(options) + "\n";
    }

    /// <summary>Brings sources, stream texts and text MIME data into nbformat's <c>split_lines</c> form and sorts every object's keys.</summary>
    private void ToJupyterLayout()
    {
        foreach (var cell in Cells)
        {
            if (cell.Json["source"] is JsonValue) cell.Json["source"] = NotebookCell.ToMultiline(NotebookCell.FromMultiline(cell.Json["source"]));
            foreach (var output in cell.Outputs.OfType<JsonObject>())
            {
                if (output["text"] is JsonValue) output["text"] = NotebookCell.ToMultiline(NotebookCell.FromMultiline(output["text"]));
                if (output["data"] is JsonObject data)
                    foreach (string mime in data.Select(p => p.Key).ToList())
                        if (data[mime] is JsonValue && (mime.StartsWith("text/", StringComparison.Ordinal) || mime is "application/javascript" or "image/svg+xml"))
                            data[mime] = NotebookCell.ToMultiline(NotebookCell.FromMultiline(data[mime]));
            }
        }
        SortKeysInPlace(Root);
    }

    private static void SortKeysInPlace(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var pairs = o.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                o.Clear();
                foreach (var (key, value) in pairs)
                {
                    SortKeysInPlace(value);
                    o[key] = value;
                }
                break;
            case JsonArray a:
                foreach (var item in a) SortKeysInPlace(item);
                break;
        }
    }

    /// <summary>
    /// Writes the notebook atomically: to a temporary file next to <paramref name="path"/>, then moved over it,
    /// so a crash never leaves a half-written notebook.
    /// </summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, ToJson(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>A new random cell id (8 hex digits, as Jupyter makes them).</summary>
    public static string NewCellId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private static bool IsValidCellId(string id) =>
        id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private JsonArray CellArray => (JsonArray)Root["cells"]!;

    private static bool IsMultilineString(JsonNode? node) => node switch
    {
        JsonValue v => v.TryGetValue(out string? _),
        JsonArray a => a.All(item => item is JsonValue iv && iv.TryGetValue(out string? _)),
        _ => false,
    };
}

/// <summary>The three kinds of notebook cells.</summary>
public enum NotebookCellKind
{
    /// <summary>Code, run by the engine.</summary>
    Code,
    /// <summary>Markdown text.</summary>
    Markdown,
    /// <summary>Raw text, passed through untouched.</summary>
    Raw,
}
