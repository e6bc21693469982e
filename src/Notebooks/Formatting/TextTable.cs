using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelSecurity.Notebooks.Formatting;

/// <summary>
/// Tables as plain text (columns padded to align, long cells clipped): the <c>text/plain</c> of every table output, so that
/// text-only front ends and screen readers get column names and values.
/// </summary>
public static partial class TextTable
{
    /// <summary>Widest a column gets before its cells are clipped with "…".</summary>
    public const int MaxColumnWidth = 40;

    /// <summary>Lays out a header row and body rows (rows shorter than the header are padded with empty cells).</summary>
    public static string Render(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        int columns = Math.Max(headers.Count, rows.Select(r => r.Count).DefaultIfEmpty(0).Max());
        string Cell(IReadOnlyList<string> row, int c) => c < row.Count ? Clip(row[c]) : "";
        var widths = Enumerable.Range(0, columns)
            .Select(c => rows.Select(r => Cell(r, c).Length).Append(Cell(headers, c).Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> row) =>
            text.AppendJoin("  ", Enumerable.Range(0, columns).Select(c => Cell(row, c).PadRight(widths[c]))).Append('\n');
        if (headers.Count > 0) Line(headers);
        foreach (var row in rows) Line(row);
        return string.Join('\n', text.ToString().Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n');
    }

    /// <summary>
    /// The plain text of an HTML fragment: its tables laid out with <see cref="Render"/> (the first row with <c>th</c>
    /// cells is the header), other markup stripped. Used for HTML a notebook displays as a string.
    /// </summary>
    public static string FromHtml(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var parts = new List<string>();
        int last = 0;
        foreach (Match table in TableElement().Matches(html))
        {
            parts.Add(StripTags(html[last..table.Index]));
            var rows = RowElement().Matches(table.Value)
                .Select(r => (Header: r.Value.Contains("<th", StringComparison.OrdinalIgnoreCase),
                              Cells: (IReadOnlyList<string>)CellElement().Matches(r.Value).Select(c => StripTags(c.Groups[1].Value)).ToList()))
                .ToList();
            var headers = rows.Count > 0 && rows[0].Header ? rows[0].Cells : [];
            parts.Add(Render(headers, rows.Skip(headers.Count > 0 ? 1 : 0).Select(r => r.Cells).ToList()));
            last = table.Index + table.Length;
        }
        parts.Add(StripTags(html[last..]));
        return string.Join('\n', parts.Where(p => p.Length > 0));
    }

    private static string Clip(string text) => text.Length <= MaxColumnWidth ? text : text[..(MaxColumnWidth - 1)] + "…";

    private static string StripTags(string html) =>
        Whitespace().Replace(WebUtility.HtmlDecode(Tag().Replace(LineBreak().Replace(html, " "), "")), " ").Trim();

    [GeneratedRegex(@"<table\b.*?</table>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex TableElement();

    [GeneratedRegex(@"<tr\b.*?</tr>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex RowElement();

    [GeneratedRegex(@"<t[hd]\b[^>]*>(.*?)</t[hd]>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex CellElement();

    [GeneratedRegex(@"<br\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.Singleline)]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
