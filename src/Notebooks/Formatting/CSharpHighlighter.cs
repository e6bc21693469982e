using System.Net;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Syntax-highlighted HTML for C# code (shown solutions), from the C# compiler's own lexer: keywords, literals and
/// comments get colours. Lexical only (no semantic model): cheap, and exact for what it colours.
/// </summary>
public static class CSharpHighlighter
{
    private const string Keyword = "#0000ff", StringLiteral = "#a31515", Number = "#098658", Comment = "#008000", Directive = "#808080";

    /// <summary>A self-contained &lt;pre&gt; block with inline styles (no external CSS).</summary>
    public static string ToHtml(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var html = new StringBuilder("<pre class=\"course-code\" style=\"background:#f7f7f7;padding:8px;border-radius:4px;overflow-x:auto\"><code>");
        foreach (var token in tree.GetRoot().DescendantTokens(descendIntoTrivia: true))
        {
            Trivia(html, token.LeadingTrivia);
            html.Append(Span(token.Text, ColorOf(token)));
            Trivia(html, token.TrailingTrivia);
        }
        return html.Append("</code></pre>").ToString();
    }

    private static void Trivia(StringBuilder html, SyntaxTriviaList trivia)
    {
        foreach (var t in trivia)
        {
            if (t.HasStructure) continue; // directives: their tokens come through DescendantTokens(descendIntoTrivia)
            string? color = t.Kind() switch
            {
                SyntaxKind.SingleLineCommentTrivia or SyntaxKind.MultiLineCommentTrivia => Comment,
                SyntaxKind.DisabledTextTrivia => Directive,
                _ => null,
            };
            html.Append(Span(t.ToFullString(), color));
        }
    }

    private static string? ColorOf(SyntaxToken token)
    {
        if (token.Parent is { } parent && parent.AncestorsAndSelf().Any(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.DirectiveTriviaSyntax))
            return Directive;
        var kind = token.Kind();
        if (SyntaxFacts.IsKeywordKind(kind) || kind == SyntaxKind.IdentifierToken && token.Text is "var" or "await" or "async" or "record" or "init" or "nameof")
            return Keyword;
        return kind switch
        {
            SyntaxKind.StringLiteralToken or SyntaxKind.CharacterLiteralToken or SyntaxKind.InterpolatedStringStartToken
                or SyntaxKind.InterpolatedStringEndToken or SyntaxKind.InterpolatedStringTextToken
                or SyntaxKind.InterpolatedRawStringEndToken or SyntaxKind.InterpolatedSingleLineRawStringStartToken
                or SyntaxKind.InterpolatedMultiLineRawStringStartToken or SyntaxKind.SingleLineRawStringLiteralToken
                or SyntaxKind.MultiLineRawStringLiteralToken => StringLiteral,
            SyntaxKind.NumericLiteralToken => Number,
            _ => null,
        };
    }

    private static string Span(string text, string? color)
    {
        string encoded = WebUtility.HtmlEncode(text);
        return color is null || text.Length == 0 ? encoded : $"<span style=\"color:{color}\">{encoded}</span>";
    }
}
