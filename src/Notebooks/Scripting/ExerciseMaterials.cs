using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Scripting;

/// <summary>
/// Where an exercise's hints and reference solution are, relative to the notebook's folder (the way <c>#r</c> paths
/// resolve): <c>hints/&lt;set&gt;.json</c> and <c>solutions/&lt;set&gt;.ipynb</c> next to the chapter notebook. A notebook
/// inside <c>solutions/</c> uses its own folder's parent for hints and its own folder for solutions. A handout written
/// by <c>course assign</c> has no <c>solutions/</c> (and with <c>--no-hints</c> no <c>hints/</c>): then there is none.
/// </summary>
/// <remarks>
/// Hints file format (one per exercise set, edited by the teacher): a JSON object whose keys are exercise names (the
/// part after the slash) and whose values are arrays of hint strings, from a nudge to nearly the answer; keys starting
/// with <c>$</c> are comments. Text in <c>`backticks`</c> is shown as code.
/// </remarks>
public static class ExerciseMaterials
{
    /// <summary>Folder of the reference solutions, next to the chapter notebooks.</summary>
    public const string SolutionsFolder = "solutions";

    /// <summary>Folder of the hint files, next to the chapter notebooks.</summary>
    public const string HintsFolder = "hints";

    /// <summary>The solutions folder for a notebook in <paramref name="notebookDirectory"/>.</summary>
    public static string SolutionsDirectory(string notebookDirectory) =>
        IsSolutionsFolder(notebookDirectory) ? Path.GetFullPath(notebookDirectory) : Path.Combine(Path.GetFullPath(notebookDirectory), SolutionsFolder);

    /// <summary>The hints folder for a notebook in <paramref name="notebookDirectory"/>.</summary>
    public static string HintsDirectory(string notebookDirectory) =>
        Path.Combine(IsSolutionsFolder(notebookDirectory) ? Path.GetDirectoryName(Path.GetFullPath(notebookDirectory).TrimEnd(Path.DirectorySeparatorChar))! : Path.GetFullPath(notebookDirectory), HintsFolder);

    /// <summary>The hints of an exercise in order, or null when the hints file of its set does not exist.</summary>
    /// <exception cref="InvalidDataException">The hints file is not the expected JSON.</exception>
    public static IReadOnlyList<string>? Hints(string notebookDirectory, string exerciseId)
    {
        var (set, name) = Split(exerciseId);
        string file = Path.Combine(HintsDirectory(notebookDirectory), set + ".json");
        if (!File.Exists(file)) return null;
        var all = ReadHintsFile(file);
        return all.TryGetValue(name, out var hints) ? hints : [];
    }

    /// <summary>Reads a hints file: exercise name → hints.</summary>
    /// <exception cref="InvalidDataException">It is not a JSON object of string arrays.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ReadHintsFile(string file)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }) as JsonObject
                       ?? throw new InvalidDataException("the top level must be an object");
            var hints = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (key, value) in root)
            {
                if (key.StartsWith('$')) continue;
                hints[key] = value is JsonArray array
                    ? array.Select(h => h?.GetValue<string>() ?? throw new InvalidDataException($"\"{key}\" has a null hint")).ToList()
                    : throw new InvalidDataException($"\"{key}\" must be an array of strings");
            }
            return hints;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException($"{file}: not a valid hints file ({e.Message}). It must be a JSON object: " +
                                           "{\"exercise-name\": [\"first hint\", \"second hint\"]}.", e);
        }
    }

    /// <summary>The source of the exercise cell of the reference solution, or null when the solution notebook does not exist.</summary>
    /// <exception cref="InvalidDataException">The solution notebook exists but has no exercise cell for the id.</exception>
    public static string? SolutionCode(string notebookDirectory, string exerciseId)
    {
        var (set, _) = Split(exerciseId);
        string file = Path.Combine(SolutionsDirectory(notebookDirectory), set + ".ipynb");
        if (!File.Exists(file)) return null;
        var notebook = NotebookDocument.Load(file);
        var cells = notebook.Cells.Where(c => c.Kind == NotebookCellKind.Code && c.ExerciseId == exerciseId && c.HasTag("exercise")).ToList();
        if (cells.Count == 0)
            throw new InvalidDataException($"{file} has no cell tagged 'exercise' with course.exercise = \"{exerciseId}\".");
        return string.Join("\n\n", cells.Select(c => c.Source.TrimEnd()));
    }

    private static bool IsSolutionsFolder(string directory) =>
        string.Equals(Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)), SolutionsFolder, StringComparison.Ordinal);

    private static (string Set, string Name) Split(string exerciseId)
    {
        int slash = exerciseId.IndexOf('/');
        return slash <= 0 ? (exerciseId, "") : (exerciseId[..slash], exerciseId[(slash + 1)..]);
    }
}
