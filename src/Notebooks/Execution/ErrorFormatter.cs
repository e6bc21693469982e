using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>Turns exceptions and compiler diagnostics into error outputs that point at cells and lines.</summary>
internal static partial class ErrorFormatter
{
    private const int MaxDiagnostics = 10;

    /// <summary>The file name Roslyn sees for a cell; error messages translate it back to "cell N".</summary>
    public static string CellFilePath(string baseDirectory, string notebookName, int cellNumber) =>
        Path.Combine(baseDirectory, $"{notebookName}#cell-{cellNumber}.csx");

    public static ErrorOutput FromException(Exception exception)
    {
        exception = Unwrap(exception);
        var lines = new List<string>();
        string? location = FirstCellLocation(exception);
        lines.Add($"{(location is null ? "" : location + ": ")}{exception.GetType().FullName}: {exception.Message}");
        AppendFrames(lines, exception);
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            lines.Add($" ---> {inner.GetType().FullName}: {inner.Message}");
            AppendFrames(lines, inner);
        }
        if (TorchSharpScalarRace.Matches(exception)) lines.Add(TorchSharpScalarRace.Explanation);
        return new ErrorOutput(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, lines);
    }

    public static ErrorOutput FromDiagnostics(IEnumerable<Diagnostic> diagnostics, string code, int cellNumber)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)
            .OrderBy(d => d.Location.GetMappedLineSpan().Path != "" && CellFile().IsMatch(d.Location.GetMappedLineSpan().Path) ? 0 : 1)
            .ThenBy(d => d.Location.GetMappedLineSpan().StartLinePosition.Line)
            .ThenBy(d => d.Location.GetMappedLineSpan().StartLinePosition.Character)
            .ToList();
        var sourceLines = code.Split('\n');
        var lines = new List<string>();
        foreach (var d in errors.Take(MaxDiagnostics))
        {
            var span = d.Location.GetMappedLineSpan();
            string where = DescribeFile(span.Path, cellNumber);
            int line = span.StartLinePosition.Line + 1, column = span.StartLinePosition.Character + 1;
            lines.Add($"{where}, line {line}, column {column}: error {d.Id}: {d.GetMessage()}");
            bool inThisCell = where == $"cell {cellNumber}";
            if (inThisCell && line - 1 < sourceLines.Length)
            {
                string text = sourceLines[line - 1].TrimEnd('\r');
                lines.Add("    " + text);
                lines.Add("    " + new string(' ', Math.Min(column - 1, text.Length)) + "^");
            }
        }
        if (errors.Count > MaxDiagnostics) lines.Add($"... and {errors.Count - MaxDiagnostics} more errors");
        string summary = lines.Count > 0 ? lines[0] : $"cell {cellNumber}: compilation failed";
        return new ErrorOutput("CompilationError", summary, lines);
    }

    public static ErrorOutput Simple(string ename, string message, int cellNumber) =>
        new(ename, message, [$"cell {cellNumber}: {ename}: {message}"]);

    public static Exception Unwrap(Exception exception)
    {
        while (true)
        {
            if (exception is TargetInvocationException { InnerException: { } inner }) exception = inner;
            else if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate) exception = aggregate.InnerExceptions[0];
            else if (exception is TypeInitializationException { InnerException: { } init } && IsCellFrameless(exception)) exception = init;
            else return exception;
        }
    }

    private static bool IsCellFrameless(Exception e) => FirstCellLocation(e) is null;

    /// <summary>The first frame of an exception in a cell, as "cell N, line L", or null.</summary>
    internal static string? FirstCellLocation(Exception exception)
    {
        foreach (string line in (exception.StackTrace ?? "").Split('\n'))
        {
            var m = FrameLocation().Match(line.TrimEnd('\r'));
            if (m.Success && CellFile().Match(m.Groups["file"].Value) is { Success: true } cell)
                return $"cell {cell.Groups[1].Value}, line {m.Groups["line"].Value}";
        }
        return null;
    }

    private static void AppendFrames(List<string> lines, Exception exception)
    {
        foreach (string raw in (exception.StackTrace ?? "").Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.Contains("Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal)) break; // the engine below the cell
            if (line.StartsWith("--- End of stack trace", StringComparison.Ordinal)) continue;
            var m = FrameLocation().Match(line);
            string method = m.Success ? m.Groups["method"].Value : line.Trim().StartsWith("at ", StringComparison.Ordinal) ? line.Trim()[3..] : line.Trim();
            method = SubmissionPrefix().Replace(method, "");
            method = method.Replace("<<Initialize>>d__0.MoveNext()", "<cell code>", StringComparison.Ordinal);
            if (m.Success)
                lines.Add($"   at {method} in {DescribeFile(m.Groups["file"].Value, null)}, line {m.Groups["line"].Value}");
            else
                lines.Add($"   at {method}");
        }
    }

    private static string DescribeFile(string path, int? defaultCell)
    {
        if (string.IsNullOrEmpty(path)) return defaultCell is int n ? $"cell {n}" : "?";
        var cell = CellFile().Match(path);
        return cell.Success ? $"cell {cell.Groups[1].Value}" : path;
    }

    [GeneratedRegex(@"^\s*at (?<method>.*) in (?<file>.*):line (?<line>\d+)$")]
    private static partial Regex FrameLocation();

    [GeneratedRegex(@"#cell-(\d+)\.csx$")]
    private static partial Regex CellFile();

    [GeneratedRegex(@"Submission#\d+\.")]
    private static partial Regex SubmissionPrefix();
}
