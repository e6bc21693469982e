using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelSecurity.Kernel.Analysis;

/// <summary>One completion: the text to insert, what kind of symbol it is and its signature.</summary>
/// <param name="Text">The name inserted.</param>
/// <param name="Type">Kind, as JupyterLab shows it: method, property, field, class, namespace, keyword, variable, …</param>
/// <param name="Signature">The symbol's signature (empty for keywords).</param>
internal sealed record CompletionItem(string Text, string Type, string Signature);

/// <summary>Completions for the word before the cursor; <paramref name="Start"/>..<paramref name="End"/> is the text they replace (UTF-16 offsets).</summary>
internal sealed record CompletionResult(IReadOnlyList<CompletionItem> Items, int Start, int End);

/// <summary>
/// Completion from Roslyn's semantic model (no Roslyn Features/Workspaces): after a <c>.</c> the members of the
/// namespace, type or value on its left (instance members and extension methods for values, static members for
/// types); elsewhere every symbol in scope (earlier cells included) and the C# keywords. Matches start with the
/// typed prefix, case-insensitively, exact-case matches first.
/// </summary>
internal static class CompletionProvider
{
    private const int MaxItems = 500;

    private static readonly string[] Keywords = SyntaxFacts.GetKeywordKinds().Concat(SyntaxFacts.GetContextualKeywordKinds())
        .Select(SyntaxFacts.GetText).Where(k => k.Length > 1 && char.IsLetter(k[0]) && !k.StartsWith("__", StringComparison.Ordinal))
        .Distinct(StringComparer.Ordinal).ToArray();

    public static CompletionResult Complete(AnalysisDocument document, int position)
    {
        string code = document.Code;
        position = Math.Clamp(position, 0, code.Length);
        int start = position;
        while (start > 0 && IsIdentifierPart(code[start - 1])) start--;
        string prefix = code[start..position];
        if (start < position && char.IsDigit(code[start])) return new CompletionResult([], start, position); // a number

        int before = start - 1;
        while (before >= 0 && char.IsWhiteSpace(code[before])) before--;
        IEnumerable<ISymbol> symbols;
        bool afterDot = before >= 0 && code[before] == '.' && !(before > 0 && code[before - 1] == '.');
        if (afterDot)
        {
            if (InsideCommentOrString(document, before)) return new CompletionResult([], start, position);
            symbols = MembersLeftOf(document, before, start);
        }
        else
        {
            if (InsideCommentOrString(document, Math.Max(0, start - 1)) && start > 0) return new CompletionResult([], start, position);
            symbols = document.Model.LookupSymbols(start);
        }

        var items = new Dictionary<string, CompletionItem>(StringComparer.Ordinal);
        foreach (var symbol in symbols)
        {
            if (!symbol.CanBeReferencedByName || IsScriptPlumbing(symbol)) continue;
            if (!symbol.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            items.TryAdd(symbol.Name, new CompletionItem(symbol.Name, KindOf(symbol), Signature(symbol)));
        }
        if (!afterDot)
            foreach (string keyword in Keywords)
                if (keyword.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    items.TryAdd(keyword, new CompletionItem(keyword, "keyword", ""));

        var ordered = items.Values
            .OrderBy(i => i.Text.StartsWith(prefix, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(i => i.Text, StringComparer.OrdinalIgnoreCase)
            .ThenBy(i => i.Text, StringComparer.Ordinal)
            .Take(MaxItems)
            .ToList();
        return new CompletionResult(ordered, start, position);
    }

    private static IEnumerable<ISymbol> MembersLeftOf(AnalysisDocument document, int dot, int position)
    {
        var model = document.Model;
        var token = document.Tree.GetRoot().FindToken(dot);
        ExpressionSyntax? left = token.Parent switch
        {
            MemberAccessExpressionSyntax access => access.Expression,
            QualifiedNameSyntax qualified => qualified.Left,
            MemberBindingExpressionSyntax binding => binding.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>()?.Expression,
            _ => null,
        };
        if (left is null) return [];

        var info = model.GetSymbolInfo(left);
        var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
        if (symbol is INamespaceSymbol ns) return model.LookupNamespacesAndTypes(position, ns);
        if (symbol is INamedTypeSymbol or ITypeParameterSymbol)
        {
            var type = (INamespaceOrTypeSymbol)symbol;
            return model.LookupStaticMembers(position, type).Concat(model.LookupNamespacesAndTypes(position, type));
        }
        return InstanceMembers(model, position, model.GetTypeInfo(left).Type);
    }

    private static IEnumerable<ISymbol> InstanceMembers(SemanticModel model, int position, ITypeSymbol? type)
    {
        if (type is null || type.TypeKind == TypeKind.Error) return [];
        return model.LookupSymbols(position, type, includeReducedExtensionMethods: true)
            .Where(s => !s.IsStatic || s is IMethodSymbol { MethodKind: MethodKind.ReducedExtension })
            .Where(s => s is not INamedTypeSymbol);
    }

    private static bool InsideCommentOrString(AnalysisDocument document, int position)
    {
        var root = document.Tree.GetRoot();
        var trivia = root.FindTrivia(position);
        if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia)
            || trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia)) return true;
        var token = root.FindToken(position);
        return token.Span.Contains(position) && token.Kind() is SyntaxKind.StringLiteralToken or SyntaxKind.CharacterLiteralToken
            or SyntaxKind.InterpolatedStringTextToken or SyntaxKind.SingleLineRawStringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken;
    }

    /// <summary>Names Roslyn scripting generates (submission classes, the script entry point) that a user never types.</summary>
    private static bool IsScriptPlumbing(ISymbol symbol) =>
        symbol is INamedTypeSymbol { IsScriptClass: true } || symbol.Name.StartsWith("Submission#", StringComparison.Ordinal)
        || symbol.Name.Contains('<');

    internal static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';

    internal static string KindOf(ISymbol symbol) => symbol switch
    {
        INamespaceSymbol => "namespace",
        INamedTypeSymbol { TypeKind: TypeKind.Interface } => "interface",
        INamedTypeSymbol { TypeKind: TypeKind.Enum } => "enum",
        INamedTypeSymbol { TypeKind: TypeKind.Struct } => "struct",
        INamedTypeSymbol { TypeKind: TypeKind.Delegate } => "delegate",
        INamedTypeSymbol => "class",
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol { ContainingType.IsScriptClass: true } => "variable",
        IFieldSymbol { IsConst: true } => "constant",
        IFieldSymbol field when field.ContainingType?.TypeKind == TypeKind.Enum => "enum member",
        IFieldSymbol => "field",
        IEventSymbol => "event",
        ILocalSymbol or IParameterSymbol or IRangeVariableSymbol => "variable",
        ITypeParameterSymbol => "type parameter",
        _ => symbol.Kind.ToString().ToLowerInvariant(),
    };

    internal static string Signature(ISymbol symbol) => symbol switch
    {
        INamespaceSymbol => "namespace " + symbol.ToDisplayString(),
        _ => symbol.ToDisplayString(SymbolSignatures.Format(symbol)),
    };
}
