using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelSecurity.Kernel.Analysis;

/// <summary>
/// Answers <c>is_complete_request</c> (a console deciding whether Enter runs the code or adds a line) from Roslyn's
/// syntax only: <c>incomplete</c> while braces, brackets, parentheses, strings or comments are open (with the
/// indent for the next line), <c>invalid</c> for complete code with syntax errors, else <c>complete</c>.
/// </summary>
public static class CompletenessChecker
{
    private static readonly CSharpParseOptions ScriptOptions = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>The status (<c>complete</c>, <c>incomplete</c>, <c>invalid</c>) and, when incomplete, the indent.</summary>
    public static (string Status, string? Indent) Check(string code)
    {
        if (string.IsNullOrWhiteSpace(code)) return ("complete", null);
        var tree = CSharpSyntaxTree.ParseText(AnalysisDocument.BlankDirectives(code), ScriptOptions);
        if (!SyntaxFactory.IsCompleteSubmission(tree))
            return ("incomplete", new string(' ', 4 * Math.Max(0, OpenDepth(tree))));
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? ("invalid", null) : ("complete", null);
    }

    /// <summary>Open braces, brackets and parentheses at the end of the code.</summary>
    private static int OpenDepth(SyntaxTree tree)
    {
        int depth = 0;
        foreach (var token in tree.GetRoot().DescendantTokens())
        {
            if (token.IsMissing) continue;
            switch (token.Kind())
            {
                case SyntaxKind.OpenBraceToken or SyntaxKind.OpenParenToken or SyntaxKind.OpenBracketToken:
                    depth++;
                    break;
                case SyntaxKind.CloseBraceToken or SyntaxKind.CloseParenToken or SyntaxKind.CloseBracketToken:
                    depth = Math.Max(0, depth - 1);
                    break;
            }
        }
        return depth;
    }
}
