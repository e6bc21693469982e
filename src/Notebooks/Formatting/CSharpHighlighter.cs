using System.Net;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Syntax-highlighted HTML for C# code (shown solutions), from the C# compiler's own lexer: keywords, literals and
/// comments get colours. Lexical only (no semantic model): cheap, and exact for what it colours.
/// </summary>
public static class CSharpHighlighter
{
    private const string Keyword = "#0000ff", StringLiteral = "#a31515", Number = "#098658", Comment = "#008000", Directive = "#808080";

    /// <summary>A self-contained &lt;pre&gt; block with inline styles (no external CSS); its text is exactly <paramref name="code"/>.</summary>
    public static string ToHtml(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var html = new StringBuilder("<pre class=\"course-code\" style=\"background:#f7f7f7;padding:8px;border-radius:4px;overflow-x:auto\"><code>");
        Render(html, tree.GetRoot(), null);
        return html.Append("</code></pre>").ToString();
    }

    /// <summary>
    /// Appends a node's tokens with their trivia in source order. Structured trivia (directives, doc comments, tokens the
    /// parser skipped in broken code) is rendered from its own tokens, so every character of the source appears once.
    /// </summary>
    private static void Render(StringBuilder html, SyntaxNode node, string? forced)
    {
        foreach (var token in node.DescendantTokens(descendIntoTrivia: false))
        {
            Trivia(html, token.LeadingTrivia, forced);
            html.Append(Span(token.Text, forced ?? ColorOf(token)));
            Trivia(html, token.TrailingTrivia, forced);
        }
    }

    private static void Trivia(StringBuilder html, SyntaxTriviaList trivia, string? forced)
    {
        foreach (var t in trivia)
        {
            if (t.GetStructure() is { } structure)
            {
                Render(html, structure, structure switch
                {
                    DirectiveTriviaSyntax => Directive,
                    DocumentationCommentTriviaSyntax => Comment,
                    _ => forced,
                });
                continue;
            }
            string? color = forced ?? t.Kind() switch
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
