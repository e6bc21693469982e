using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Parameters;

/// <summary>A parameter declared in the cell tagged <c>parameters</c>.</summary>
/// <param name="Name">Variable name.</param>
/// <param name="Type">C# type keyword (<c>int</c>, <c>double</c>, <c>string</c>, ...), or null when it cannot be told (e.g. <c>var x = F();</c>).</param>
/// <param name="Default">The initializer as written.</param>
public sealed record ParameterDeclaration(string Name, string? Type, string Default)
{
    /// <inheritdoc />
    public override string ToString() => $"{Type ?? "var"} {Name} = {Default}";
}

/// <summary>Bad <c>--param</c> values or names; the message lists the declared parameters.</summary>
public sealed class ParameterException(string message) : Exception(message);

/// <summary>
/// Papermill-style parameters: the first cell tagged <c>parameters</c> declares defaults; values given on the command
/// line go into a new cell tagged <c>injected-parameters</c> right after it, which redeclares them with the declared types.
/// </summary>
public static class NotebookParameters
{
    /// <summary>
    /// The parameter values that apply to one notebook of a run: those a parameters file gives for its file name (unless the
    /// command line sets the same name), then the command line's — in a folder run only the names the notebook declares.
    /// </summary>
    public static List<KeyValuePair<string, string>> SelectFor(NotebookDocument notebook, string file,
        IReadOnlyList<KeyValuePair<string, string>> cliParameters,
        IReadOnlyDictionary<string, List<KeyValuePair<string, string>>> fileParameters, bool isFolder)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        if (fileParameters.TryGetValue(Path.GetFileName(file), out var fromFile))
            parameters.AddRange(fromFile.Where(p => !cliParameters.Any(c => c.Key == p.Key)));
        if (isFolder)
        {
            var cell = FindParametersCell(notebook);
            var declared = cell is null ? [] : Parse(cell.Source).Select(d => d.Name).ToHashSet();
            parameters.AddRange(cliParameters.Where(p => declared.Contains(p.Key)));
        }
        else parameters.AddRange(cliParameters);
        return parameters;
    }

    /// <summary>Tag of the cell with the defaults.</summary>
    public const string ParametersTag = "parameters";

    /// <summary>Tag of the cell the engine inserts.</summary>
    public const string InjectedTag = "injected-parameters";

    private static readonly Dictionary<string, string> TypeAliases = new(StringComparer.Ordinal)
    {
        ["int"] = "int", ["Int32"] = "int", ["System.Int32"] = "int",
        ["long"] = "long", ["Int64"] = "long", ["System.Int64"] = "long",
        ["short"] = "short", ["Int16"] = "short", ["System.Int16"] = "short",
        ["byte"] = "byte", ["Byte"] = "byte", ["System.Byte"] = "byte",
        ["uint"] = "uint", ["UInt32"] = "uint", ["ulong"] = "ulong", ["UInt64"] = "ulong",
        ["float"] = "float", ["Single"] = "float", ["System.Single"] = "float",
        ["double"] = "double", ["Double"] = "double", ["System.Double"] = "double",
        ["decimal"] = "decimal", ["Decimal"] = "decimal", ["System.Decimal"] = "decimal",
        ["bool"] = "bool", ["Boolean"] = "bool", ["System.Boolean"] = "bool",
        ["string"] = "string", ["String"] = "string", ["System.String"] = "string",
        ["char"] = "char", ["Char"] = "char", ["System.Char"] = "char",
    };

    /// <summary>The first cell tagged <c>parameters</c>, or null.</summary>
    public static NotebookCell? FindParametersCell(NotebookDocument notebook) =>
        notebook.Cells.FirstOrDefault(c => c.Kind == NotebookCellKind.Code && c.HasTag(ParametersTag));

    /// <summary>The variables declared at the top level of a parameters cell.</summary>
    public static IReadOnlyList<ParameterDeclaration> Parse(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var result = new List<ParameterDeclaration>();
        foreach (var member in ((CompilationUnitSyntax)tree.GetRoot()).Members)
        {
            VariableDeclarationSyntax? declaration = member switch
            {
                FieldDeclarationSyntax field => field.Declaration,
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax local } => local.Declaration,
                _ => null,
            };
            if (declaration is null) continue;
            string declared = declaration.Type.ToString();
            foreach (var variable in declaration.Variables)
            {
                string? type = declared == "var" ? InferType(variable.Initializer?.Value) : Normalize(declared);
                result.Add(new ParameterDeclaration(variable.Identifier.Text, type, variable.Initializer?.Value.ToString() ?? "default"));
            }
        }
        return result;
    }

    /// <summary>
    /// Inserts (or replaces) the <c>injected-parameters</c> cell. Does nothing when <paramref name="values"/> is empty.
    /// </summary>
    /// <returns>The injected cell, or null.</returns>
    /// <exception cref="ParameterException">No parameters cell, an unknown name, or a value that does not parse as the declared type.</exception>
    public static NotebookCell? Inject(NotebookDocument notebook, IReadOnlyList<KeyValuePair<string, string>> values)
    {
        if (values.Count == 0) return null;
        var cell = FindParametersCell(notebook) ?? throw new ParameterException(
            "--param was given, but the notebook has no code cell tagged 'parameters' (cell metadata \"tags\": [\"parameters\"]).");
        var declared = Parse(cell.Source);
        string listing = declared.Count == 0
            ? "The parameters cell declares no variables."
            : "Declared parameters:\n" + string.Join("\n", declared.Select(d => "  " + d));

        var lines = new StringBuilder("// Parameters injected by `course run --param`; they replace the defaults of the cell above.\n");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            var declaration = declared.FirstOrDefault(d => d.Name == name) ?? throw new ParameterException(
                $"Unknown parameter '{name}'." + (declared.FirstOrDefault(d => d.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } near
                    ? $" Did you mean '{near.Name}'?" : "") + "\n" + listing);
            if (!seen.Add(name)) throw new ParameterException($"Parameter '{name}' is given twice.");
            if (declaration.Type is null)
                throw new ParameterException($"Parameter '{name}' cannot be set: its type cannot be told from '{declaration}'. " +
                                             "Declare it with an explicit type (int, double, string, bool, ...).\n" + listing);
            string literal;
            try
            {
                literal = FormatLiteral(declaration.Type, value);
            }
            catch (FormatException e)
            {
                throw new ParameterException($"Parameter '{name}' is declared as {declaration.Type}; '{value}' is not a valid {declaration.Type}: {e.Message}\n{listing}");
            }
            lines.Append(declaration.Type).Append(' ').Append(name).Append(" = ").Append(literal).Append(";\n");
        }

        foreach (var old in notebook.Cells.Where(c => c.HasTag(InjectedTag)).ToList())
            notebook.RemoveCell(old);
        int index = notebook.Cells.ToList().IndexOf(cell);
        var injected = notebook.InsertCell(index + 1, NotebookCellKind.Code, lines.ToString().TrimEnd('\n'));
        injected.AddTag(InjectedTag);
        return injected;
    }

    /// <summary>A C# literal of the given type for a command-line value.</summary>
    /// <exception cref="FormatException">The value does not parse.</exception>
    public static string FormatLiteral(string type, string value)
    {
        var inv = CultureInfo.InvariantCulture;
        string v = value.Trim();
        bool nullable = type.EndsWith('?');
        string core = nullable ? type[..^1] : type;
        if ((nullable || core == "string") && v == "null" && core != "string") return "null";
        switch (core)
        {
            case "string": return SymbolDisplay.FormatLiteral(value, quote: true);
            case "char":
                if (value.Length != 1) throw new FormatException("expected exactly one character");
                return SymbolDisplay.FormatLiteral(value[0], quote: true);
            case "bool":
                return v.ToLowerInvariant() switch
                {
                    "true" or "yes" or "1" => "true",
                    "false" or "no" or "0" => "false",
                    _ => throw new FormatException("expected true or false"),
                };
            case "int": return int.Parse(v, NumberStyles.Integer, inv).ToString(inv);
            case "long": return long.Parse(v, NumberStyles.Integer, inv).ToString(inv) + "L";
            case "short": return short.Parse(v, NumberStyles.Integer, inv).ToString(inv);
            case "byte": return byte.Parse(v, NumberStyles.Integer, inv).ToString(inv);
            case "uint": return uint.Parse(v, NumberStyles.Integer, inv).ToString(inv) + "U";
            case "ulong": return ulong.Parse(v, NumberStyles.Integer, inv).ToString(inv) + "UL";
            case "float":
            {
                float f = float.Parse(v, NumberStyles.Float, inv);
                return float.IsNaN(f) ? "float.NaN" : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
                    : float.IsNegativeInfinity(f) ? "float.NegativeInfinity" : f.ToString("R", inv) + "f";
            }
            case "double":
            {
                double d = double.Parse(v, NumberStyles.Float, inv);
                return double.IsNaN(d) ? "double.NaN" : double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
                    : double.IsNegativeInfinity(d) ? "double.NegativeInfinity" : d.ToString("R", inv) + "d";
            }
            case "decimal": return decimal.Parse(v, NumberStyles.Number, inv).ToString(inv) + "m";
            default: throw new FormatException($"type {type} is not supported for parameters");
        }
    }

    private static string? Normalize(string declared)
    {
        bool nullable = declared.EndsWith('?');
        string core = nullable ? declared[..^1] : declared;
        return TypeAliases.TryGetValue(core, out string? keyword) ? keyword + (nullable && keyword != "string" ? "?" : "") : null;
    }

    private static string? InferType(ExpressionSyntax? initializer)
    {
        switch (initializer)
        {
            case LiteralExpressionSyntax literal:
                return literal.Kind() switch
                {
                    SyntaxKind.StringLiteralExpression => "string",
                    SyntaxKind.TrueLiteralExpression or SyntaxKind.FalseLiteralExpression => "bool",
                    SyntaxKind.CharacterLiteralExpression => "char",
                    SyntaxKind.NumericLiteralExpression => literal.Token.Value switch
                    {
                        int => "int", long => "long", uint => "uint", ulong => "ulong",
                        float => "float", double => "double", decimal => "decimal",
                        _ => null,
                    },
                    _ => null,
                };
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression or (int)SyntaxKind.UnaryPlusExpression } unary:
                return InferType(unary.Operand);
            case ParenthesizedExpressionSyntax parenthesized:
                return InferType(parenthesized.Expression);
            default:
                return null;
        }
    }
}
