using System.Collections;
using System.Net;
using System.Reflection;
using System.Text;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Sequences: of scalars as a plain-text list, of records/objects as an HTML table with one column per public
/// property (or field, for tuples), capped at <see cref="DisplayContext.MaxRows"/> rows with "… N more".
/// </summary>
public sealed class EnumerableTableFormatter : IDisplayFormatter
{
    private const int CountLimit = 100_000;
    private const int CellTextLimit = 120;

    /// <inheritdoc />
    public bool CanFormat(object value) => value is IEnumerable and not string;

    /// <inheritdoc />
    public FormattedValue Format(object value, DisplayContext context)
    {
        var sequence = (IEnumerable)value;
        int cap = value is IDictionary ? context.MaxRows : Math.Max(context.MaxRows, context.MaxItems);
        var items = new List<object?>();
        long total = 0;
        bool countIsExact = true;
        var enumerator = sequence.GetEnumerator();
        try
        {
            while (enumerator.MoveNext())
            {
                if (items.Count < cap) items.Add(enumerator.Current);
                total++;
                if (total >= CountLimit && value is not ICollection) { countIsExact = !enumerator.MoveNext(); break; }
            }
        }
        finally
        {
            (enumerator as IDisposable)?.Dispose();
        }
        if (value is ICollection collection) { total = collection.Count; countIsExact = true; }

        // Compiler and LINQ types ("<SelectIterator>d__251<Double, anonymous>", "ArraySelectIterator<…>") mean nothing to a
        // reader; only types a reader could have written are named.
        string? typeName = IsNameable(value.GetType()) ? FriendlyTypeName(value.GetType()) : null;
        if (value is IDictionary)
        {
            // A generic dictionary enumerates KeyValuePair<K, V>, the non-generic one DictionaryEntry.
            var rows = items.Select(i => i switch
            {
                DictionaryEntry e => new object?[] { e.Key, e.Value },
                not null when i.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(KeyValuePair<,>) =>
                    [t.GetProperty("Key")!.GetValue(i), t.GetProperty("Value")!.GetValue(i)],
                _ => new object?[] { i, null },
            }).ToList();
            return Table(typeName, ["Key", "Value"], rows, total, countIsExact, context);
        }

        Type? elementType = ElementType(value.GetType(), items);
        if (elementType is null || IsScalar(elementType) || items.All(i => i is null || IsScalar(i.GetType())))
        {
            int shown = Math.Min(items.Count, context.MaxItems);
            var text = new StringBuilder(Heading(typeName, total, countIsExact, "item")).Append(" [");
            text.AppendJoin(", ", items.Take(shown).Select(i => Quote(i)));
            if (total > shown) text.Append(", … ").Append(countIsExact ? $"{total - shown} more" : "more");
            text.Append(']');
            return FormattedValue.PlainText(text.ToString());
        }

        var members = Columns(elementType);
        var cells = items.Take(context.MaxRows)
            .Select(item => members.Select(m => item is null ? null : Read(m, item)).ToArray())
            .ToList();
        var headers = members.Select(m => m.Name).ToList();
        if (headers.Count == 0) // objects without public members: one column of their text
        {
            headers = ["Value"];
            cells = items.Take(context.MaxRows).Select(i => new object?[] { i }).ToList();
        }
        return Table(typeName, headers, cells, total, countIsExact, context);
    }

    private static FormattedValue Table(string? typeName, IReadOnlyList<string> headers, List<object?[]> rows, long total,
        bool countIsExact, DisplayContext context)
    {
        int shown = Math.Min(rows.Count, context.MaxRows);
        long more = total - shown;
        string moreText = countIsExact ? $"… {more} more" : "… more";
        var html = new StringBuilder("<table class=\"course-table\"><thead><tr><th>#</th>");
        foreach (string h in headers) html.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        for (int r = 0; r < shown; r++)
        {
            html.Append("<tr><td>").Append(r).Append("</td>");
            foreach (object? cell in rows[r])
                html.Append("<td>").Append(WebUtility.HtmlEncode(CellText(cell))).Append("</td>");
            html.Append("</tr>");
        }
        if (more > 0)
            html.Append("<tr><td colspan=\"").Append(headers.Count + 1).Append("\"><i>").Append(moreText).Append("</i></td></tr>");
        html.Append("</tbody></table>");

        var plain = new StringBuilder(Heading(typeName, total, countIsExact, "row")).Append('\n');
        plain.Append(TextTable.Render(headers, rows.Take(shown).Select(row => (IReadOnlyList<string>)row.Select(CellText).ToArray()).ToList())).Append('\n');
        if (more > 0) plain.Append(moreText).Append('\n');
        return FormattedValue.Html(html.ToString(), plain.ToString().TrimEnd('\n'));
    }

    private static string CellText(object? value) => Clip(FormatterRegistry.PlainText(value), CellTextLimit);

    /// <summary>"List&lt;Double&gt; (4 items)" for nameable types, else "4 items"; "rows" for tables.</summary>
    private static string Heading(string? typeName, long total, bool countIsExact, string noun)
    {
        string count = countIsExact ? total.ToString() : $"{total}+";
        string counted = $"{count} {noun}{(total == 1 && countIsExact ? "" : "s")}";
        return typeName is null ? counted : $"{typeName} ({counted})";
    }

    /// <summary>True for public types whose generic arguments are public too (not iterators, closures or anonymous types).</summary>
    internal static bool IsNameable(Type type) =>
        type.IsVisible && !type.Name.Contains('<') && (!type.IsArray || IsNameable(type.GetElementType()!))
        && type.GetGenericArguments().All(IsNameable);

    private static string Quote(object? value) => value is string s ? "\"" + s + "\"" : FormatterRegistry.PlainText(value);

    private static string Clip(string text, int limit) => text.Length <= limit ? text : text[..(limit - 1)] + "…";

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
               || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(Half)
               || type == typeof(DateOnly) || type == typeof(TimeOnly);
    }

    private static Type? ElementType(Type sequenceType, List<object?> items)
    {
        Type? declared = sequenceType.IsArray ? sequenceType.GetElementType()
            : sequenceType.GetInterfaces().Append(sequenceType)
                .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                .Select(i => i.GetGenericArguments()[0]).FirstOrDefault();
        if (declared is not null && declared != typeof(object) && !declared.IsInterface && !declared.IsAbstract)
            return declared;
        return items.FirstOrDefault(i => i is not null)?.GetType() ?? declared;
    }

    private static List<MemberInfo> Columns(Type type)
    {
        var members = new List<MemberInfo>();
        members.AddRange(type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod!.IsPublic));
        members.AddRange(type.GetFields(BindingFlags.Public | BindingFlags.Instance));
        return members;
    }

    private static object? Read(MemberInfo member, object item)
    {
        try
        {
            return member switch
            {
                PropertyInfo p => p.GetValue(item),
                FieldInfo f => f.GetValue(item),
                _ => null,
            };
        }
        catch (Exception e)
        {
            return $"<{(e is TargetInvocationException { InnerException: { } inner } ? inner.GetType().Name : e.GetType().Name)}>";
        }
    }

    internal static string FriendlyTypeName(Type type)
    {
        if (FormatterRegistry.IsAnonymous(type)) return "anonymous";
        if (type.IsArray) return FriendlyTypeName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (!type.IsGenericType) return type.Name;
        string name = type.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(FriendlyTypeName)) + ">";
    }
}
