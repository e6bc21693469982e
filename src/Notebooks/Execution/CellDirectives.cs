using System.Text;
using System.Text.RegularExpressions;

namespace ModelSecurity.Notebooks.Execution;

/// <summary>
/// The .NET Interactive directives of a cell, found before Roslyn compiles it. Lines the engine handles itself
/// (<c>#!csharp</c>, <c>#i "nuget: source"</c>) become blank lines, so line numbers in diagnostics stay those of the cell.
/// <c>#r</c> and <c>#load</c> stay in the code: Roslyn resolves them through the engine's resolvers.
/// </summary>
public sealed partial class CellDirectives
{
    private static readonly HashSet<string> CSharpNames = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#", "cs" };

    private static readonly HashSet<string> OtherKernels = new(StringComparer.OrdinalIgnoreCase)
    {
        "fsharp", "f#", "fs", "pwsh", "powershell", "javascript", "js", "sql", "kql", "html", "markdown", "md", "mermaid",
        "value", "http", "python", "r", "vb", "vbnet", "typescript", "ts", "razor", "spiral",
    };

    private CellDirectives(string code, IReadOnlyList<PackageRequest> packages, IReadOnlyList<string> sources, string? rejection)
    {
        Code = code;
        Packages = packages;
        Sources = sources;
        Rejection = rejection;
    }

    /// <summary>The code to compile.</summary>
    public string Code { get; }

    /// <summary>Packages from <c>#r "nuget: ..."</c> lines.</summary>
    public IReadOnlyList<PackageRequest> Packages { get; }

    /// <summary>Package sources from <c>#i "nuget: ..."</c> lines.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>Why the cell cannot run here (another language, an unsupported magic command), or null.</summary>
    public string? Rejection { get; }

    /// <summary>Scans a cell.</summary>
    /// <param name="code">The cell's source.</param>
    /// <param name="kernelName">The kernel its metadata names, or null.</param>
    public static CellDirectives Parse(string code, string? kernelName)
    {
        if (kernelName is not null && !CSharpNames.Contains(kernelName))
            return Reject(code, $"This cell is for the '{kernelName}' kernel (cell metadata); this engine runs C# only.");

        var packages = new List<PackageRequest>();
        var sources = new List<string>();
        var output = new StringBuilder(code.Length);
        string[] lines = code.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string trimmed = line.Trim();
            bool blank = false;
            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                string name = trimmed[2..].Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
                if (CSharpNames.Contains(name)) blank = true;
                else if (OtherKernels.Contains(name))
                    return Reject(code, $"Line {i + 1}: '#!{name}' switches to another language; this engine runs C# only.");
                else
                    return Reject(code, $"Line {i + 1}: the .NET Interactive magic command '#!{name}' is not supported; this engine runs plain C# " +
                                        "(supported directives: #r \"nuget: Id, Version\", #r \"path.dll\", #load \"file.csx\", #i \"nuget: source\", #!csharp).");
            }
            else if (SourceDirective().Match(trimmed) is { Success: true } source)
            {
                sources.Add(source.Groups[1].Value.Trim());
                blank = true;
            }
            else if (NuGetDirective().Match(trimmed) is { Success: true } nuget)
            {
                try
                {
                    packages.Add(PackageRequest.Parse(nuget.Groups[1].Value));
                }
                catch (FormatException e)
                {
                    return Reject(code, $"Line {i + 1}: {e.Message}");
                }
            }
            if (blank) output.Append(line.EndsWith('\r') ? "\r" : "");
            else output.Append(line);
            if (i < lines.Length - 1) output.Append('\n');
        }
        return new CellDirectives(output.ToString(), packages, sources, null);
    }

    private static CellDirectives Reject(string code, string message) => new(code, [], [], message);

    [GeneratedRegex("""^#r\s+"nuget:\s*([^"]*)"\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex NuGetDirective();

    [GeneratedRegex("""^#i\s+"nuget:\s*([^"]*)"\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex SourceDirective();
}
