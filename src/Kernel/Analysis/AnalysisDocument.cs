using System.Text;
using Microsoft.CodeAnalysis;
using ModelSecurity.Notebooks.Execution;

namespace ModelSecurity.Kernel.Analysis;

/// <summary>
/// A cell being edited, compiled as the next cell of the kernel's session without running it: the syntax tree and
/// semantic model that completion and inspection query. Directive lines the engine handles itself
/// (<c>#r "nuget: …"</c>, <c>#i</c>, <c>#!</c>) are replaced by spaces of the same length, so offsets stay those of the
/// cell and no package restore runs.
/// </summary>
/// <param name="Code">The code as analysed (directives blanked).</param>
/// <param name="Tree">Its syntax tree.</param>
/// <param name="Model">Its semantic model, with every earlier cell in scope.</param>
internal sealed record AnalysisDocument(string Code, SyntaxTree Tree, SemanticModel Model)
{
    public static async Task<AnalysisDocument> CreateAsync(NotebookEngine engine, string code, CancellationToken cancellationToken)
    {
        string analysed = BlankDirectives(code);
        var compilation = await engine.CompileNextCellAsync(analysed, cancellationToken).ConfigureAwait(false);
        var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.GetText(cancellationToken).ToString() == analysed)
                   ?? compilation.SyntaxTrees.First();
        return new AnalysisDocument(analysed, tree, compilation.GetSemanticModel(tree));
    }

    /// <summary>The code with engine-handled directive lines replaced by spaces (same length, same line breaks).</summary>
    public static string BlankDirectives(string code)
    {
        var text = new StringBuilder(code);
        int lineStart = 0;
        while (lineStart <= code.Length)
        {
            int end = code.IndexOf('\n', lineStart);
            if (end < 0) end = code.Length;
            string trimmed = code[lineStart..end].TrimStart();
            bool directive = trimmed.StartsWith("#!", StringComparison.Ordinal)
                             || trimmed.StartsWith("#i ", StringComparison.Ordinal)
                             || (trimmed.StartsWith("#r", StringComparison.Ordinal) && trimmed.Contains("nuget:", StringComparison.OrdinalIgnoreCase));
            if (directive)
                for (int i = lineStart; i < end; i++)
                    if (text[i] != '\r') text[i] = ' ';
            lineStart = end + 1;
        }
        return text.ToString();
    }
}
