using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelSecurity.Kernel.Analysis;

/// <summary>
/// Inspection (Shift+Tab in Jupyter): the symbol under or just before the cursor — or the method being called when
/// the cursor is in an argument list — as its C# signature, overload count and XML documentation summary.
/// </summary>
internal static class InspectionProvider
{
    private const int MaxOverloadsShown = 5;

    /// <summary>The symbol(s) at <paramref name="position"/>: one symbol, or the overloads of a method group.</summary>
    public static IReadOnlyList<ISymbol> SymbolsAt(AnalysisDocument document, int position)
    {
        var root = document.Tree.GetRoot();
        var model = document.Model;
        position = Math.Clamp(position, 0, document.Code.Length);
        foreach (int at in new[] { position, position - 1 })
        {
            if (at < 0) continue;
            var token = root.FindToken(at);
            if (!token.Span.Contains(at) && !(token.Span.End == at)) continue;
            if (token.IsKind(SyntaxKind.IdentifierToken) || SyntaxFacts.IsPredefinedType(token.Kind()) || token.IsKind(SyntaxKind.ThisKeyword)
                || token.IsKind(SyntaxKind.BaseKeyword))
            {
                var found = SymbolsOf(model, token.Parent!);
                if (found.Count > 0) return found;
            }
        }
        // In an argument list: the method (or constructor) being called.
        var inner = root.FindToken(Math.Max(0, position - 1)).Parent;
        for (var node = inner; node is not null; node = node.Parent)
        {
            var callee = node switch
            {
                InvocationExpressionSyntax call => call.Expression,
                BaseObjectCreationExpressionSyntax create => create,
                _ => null,
            };
            if (callee is null) continue;
            var found = SymbolsOf(model, callee);
            if (found.Count > 0) return found;
        }
        return [];
    }

    /// <summary>Plain-text description: signatures (overloads listed up to five), then the documentation.</summary>
    public static string Describe(IReadOnlyList<ISymbol> symbols, Compilation compilation, DocumentationLookup docs, bool detailed, string? value)
    {
        var text = new StringBuilder();
        foreach (var symbol in symbols.Take(MaxOverloadsShown))
            text.Append(Heading(symbol)).Append('\n');
        if (symbols.Count > MaxOverloadsShown) text.Append($"(+{symbols.Count - MaxOverloadsShown} more overloads)\n");
        if (value is not null) text.Append("Value: ").Append(value).Append('\n');
        string doc = DocumentationLookup.ToText(docs.XmlFor(symbols[0], compilation), detailed);
        if (doc.Length > 0) text.Append('\n').Append(doc).Append('\n');
        return text.ToString().TrimEnd() + "\n";
    }

    private static string Heading(ISymbol symbol)
    {
        string kind = symbol switch
        {
            IFieldSymbol { ContainingType.IsScriptClass: true } => "(variable) ",
            ILocalSymbol => "(local variable) ",
            IParameterSymbol => "(parameter) ",
            IPropertySymbol => "(property) ",
            IFieldSymbol { IsConst: true } => "(constant) ",
            IFieldSymbol => "(field) ",
            IEventSymbol => "(event) ",
            IMethodSymbol { MethodKind: MethodKind.ReducedExtension } => "(extension) ",
            _ => "",
        };
        return kind + CompletionProvider.Signature(symbol);
    }

    private static IReadOnlyList<ISymbol> SymbolsOf(SemanticModel model, SyntaxNode node)
    {
        // The identifier of a member access stands for the whole access.
        if (node.Parent is MemberAccessExpressionSyntax access && access.Name == node) node = access;
        var info = model.GetSymbolInfo(node);
        if (info.Symbol is { } symbol) return [symbol];
        if (info.CandidateSymbols.Length > 0) return info.CandidateSymbols;
        if (model.GetDeclaredSymbol(node) is { } declared) return [declared];
        if (model.GetTypeInfo(node).Type is { TypeKind: not TypeKind.Error } type) return [type];
        return [];
    }
}
