using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelSecurity.IO;

namespace ModelSecurity.Attacks;

/// <summary>
/// A <see cref="WorstCaseReport"/> saved with what it was measured on, so that a chapter can show an evaluation that
/// takes longer than a reader should wait (AutoAttack on 1 000 images: about 20 minutes on two CPU cores) and still
/// compare it point by point with a live run (<see cref="WorstCaseReport.BrokenBy"/> is kept per image).
/// Written by <c>course robustness --autoattack -o FILE</c>; read with <see cref="Load"/>.
/// </summary>
/// <param name="Checkpoint">File name of the evaluated checkpoint.</param>
/// <param name="Architecture">Its architecture.</param>
/// <param name="Dataset">Its data set.</param>
/// <param name="Selection">Which test images: e.g. "first 1000" or "random 500, seed 0".</param>
/// <param name="Version">Evaluation version, e.g. AutoAttack's "standard".</param>
/// <param name="Seed">Seed of the attacks' random starts.</param>
/// <param name="Report">The report itself.</param>
public sealed record StoredEvaluation(string Checkpoint, string Architecture, string Dataset, string Selection, string Version, int Seed,
                                      WorstCaseReport Report)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes the evaluation as JSON (atomically: an interrupted write leaves the old file).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Options));
    }

    /// <summary>Reads an evaluation written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not such an evaluation, or its counts contradict each other.</exception>
    public static StoredEvaluation Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"No stored evaluation at {Path.GetFullPath(path)}. Write one with: course robustness --autoattack --checkpoint CKPT --images N -o {path}", path);
        StoredEvaluation? stored;
        try
        {
            stored = JsonSerializer.Deserialize<StoredEvaluation>(File.ReadAllText(path), Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a stored evaluation (JSON from course robustness --autoattack -o): {e.Message}", e);
        }
        if (stored?.Report is not { } report || report.Stages is null || report.BrokenBy is null)
            throw new InvalidDataException($"{path} is not a stored evaluation: it has no report with stages and per-point results.");
        Validate(path, report);
        return stored;
    }

    /// <summary>The per-point results must agree with the counts, or the file was edited or truncated.</summary>
    private static void Validate(string path, WorstCaseReport report)
    {
        string Problem(string what) => $"{path} contradicts itself: {what}. Regenerate it with course robustness --autoattack -o.";
        if (report.BrokenBy.Count != report.Count) throw new InvalidDataException(Problem($"{report.BrokenBy.Count} per-point results for {report.Count} images"));
        int misclassified = report.BrokenBy.Count(b => b == WorstCaseReport.Misclassified);
        if (report.Count - misclassified != report.CleanCorrect)
            throw new InvalidDataException(Problem($"{report.CleanCorrect} clean-correct images but {report.Count - misclassified} per-point results say so"));
        if (report.BrokenBy.Any(b => b < WorstCaseReport.Misclassified || b >= report.Stages.Count))
            throw new InvalidDataException(Problem("a per-point result names no stage"));
        int robust = report.BrokenBy.Count(b => b == WorstCaseReport.Robust);
        if (robust != report.RobustCount) throw new InvalidDataException(Problem($"{report.RobustCount} robust images but {robust} per-point results say so"));
    }

    /// <summary>Per image: true when it is robust (correct, and no attack broke it), for <see cref="Statistics.PairedComparison"/>.</summary>
    public IReadOnlyList<bool> RobustPerImage => Report.BrokenBy.Select(b => b == WorstCaseReport.Robust).ToArray();

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Checkpoint} ({Architecture}), {Dataset} test images ({Selection}):\n{Report.ToMarkdown()}");
}
