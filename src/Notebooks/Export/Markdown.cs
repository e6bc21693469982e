using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelSecurity.Notebooks.Export;

/// <summary>
/// A small Markdown to HTML converter for notebook text: ATX headings, paragraphs, bullet and numbered lists
/// (nested by indentation), fenced and indented code, block quotes, horizontal rules, pipe tables, inline code,
/// emphasis, links, images and line breaks. LaTeX math (<c>$…$</c>, <c>$$…$$</c>) is kept as text in a
/// <c>span.math</c>/<c>div.math</c> element (no math renderer is bundled; the HTML must work offline).
/// Raw HTML in the Markdown is escaped, not passed through.
/// </summary>
public static partial class Markdown
{
    /// <summary>Converts Markdown text to an HTML fragment.</summary>
    public static string ToHtml(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var html = new StringBuilder();
        int i = 0;
        Blocks(lines, ref i, lines.Length, html);
        return html.ToString();
    }

    private static void Blocks(string[] lines, ref int i, int end, StringBuilder html)
    {
        while (i < end)
        {
            string line = lines[i];
            string trimmed = line.Trim();
            if (trimmed.Length == 0) { i++; continue; }

            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                string fence = trimmed[..3];
                string language = trimmed[3..].Trim();
                var code = new StringBuilder();
                i++;
                while (i < end && !lines[i].Trim().StartsWith(fence, StringComparison.Ordinal)) code.Append(lines[i++]).Append('\n');
                i++;
                html.Append("<pre><code").Append(language.Length > 0 ? $" class=\"language-{Encode(language)}\"" : "").Append('>')
                    .Append(Encode(code.ToString())).Append("</code></pre>\n");
                continue;
            }
            if (trimmed.StartsWith("$$", StringComparison.Ordinal))
            {
                var math = new StringBuilder(trimmed);
                if (!(trimmed.Length > 2 && trimmed.EndsWith("$$", StringComparison.Ordinal) && trimmed.Length >= 4))
                {
                    i++;
                    while (i < end && !lines[i].TrimEnd().EndsWith("$$", StringComparison.Ordinal)) math.Append('\n').Append(lines[i++]);
                    if (i < end) math.Append('\n').Append(lines[i]);
                }
                i++;
                html.Append("<div class=\"math\">").Append(Encode(math.ToString())).Append("</div>\n");
                continue;
            }
            var heading = Heading().Match(trimmed);
            if (heading.Success)
            {
                int level = heading.Groups[1].Value.Length;
                string text = heading.Groups[2].Value.TrimEnd('#', ' ');
                html.Append($"<h{level} id=\"{Slug(text)}\">").Append(Inline(text)).Append($"</h{level}>\n");
                i++;
                continue;
            }
            if (HorizontalRule().IsMatch(trimmed)) { html.Append("<hr>\n"); i++; continue; }
            if (trimmed.StartsWith('>'))
            {
                var quoted = new List<string>();
                while (i < end && lines[i].Trim().StartsWith('>')) quoted.Add(lines[i++].Trim()[1..].TrimStart());
                int j = 0;
                var inner = new StringBuilder();
                Blocks(quoted.ToArray(), ref j, quoted.Count, inner);
                html.Append("<blockquote>\n").Append(inner).Append("</blockquote>\n");
                continue;
            }
            if (IsTableStart(lines, i, end)) { Table(lines, ref i, end, html); continue; }
            if (ListItem().IsMatch(line)) { List(lines, ref i, end, html, Indent(line)); continue; }
            if (line.StartsWith("    ", StringComparison.Ordinal) || line.StartsWith('\t'))
            {
                var code = new StringBuilder();
                while (i < end && (lines[i].StartsWith("    ", StringComparison.Ordinal) || lines[i].StartsWith('\t') || lines[i].Trim().Length == 0))
                    code.Append(lines[i].Length >= 4 ? lines[i][(lines[i].StartsWith('\t') ? 1 : 4)..] : "").Append('\n');
                html.Append("<pre><code>").Append(Encode(code.ToString().TrimEnd('\n') + "\n")).Append("</code></pre>\n");
                continue;
            }

            var paragraph = new List<string>();
            while (i < end && lines[i].Trim().Length > 0 && !StartsBlock(lines, i, end)) paragraph.Add(lines[i++]);
            if (paragraph.Count == 0) paragraph.Add(lines[i++]);
            // The paragraph is formatted as a whole, so emphasis may span a line break; "\u0003" marks hard breaks.
            string joined = string.Join("\n", paragraph.Select((p, k) =>
                p.Trim() + (k < paragraph.Count - 1 && p.EndsWith("  ", StringComparison.Ordinal) ? HardBreak : "")));
            html.Append("<p>").Append(Inline(joined).Replace(HardBreak, "<br>", StringComparison.Ordinal)).Append("</p>\n");
        }
    }

    private const string HardBreak = "\u0003";

    private static bool StartsBlock(string[] lines, int i, int end)
    {
        string t = lines[i].Trim();
        return t.StartsWith("```", StringComparison.Ordinal) || t.StartsWith("~~~", StringComparison.Ordinal) || t.StartsWith("$$", StringComparison.Ordinal)
               || Heading().IsMatch(t) || t.StartsWith('>') || ListItem().IsMatch(lines[i]) || HorizontalRule().IsMatch(t) || IsTableStart(lines, i, end);
    }

    private static void List(string[] lines, ref int i, int end, StringBuilder html, int indent)
    {
        bool ordered = char.IsDigit(lines[i].TrimStart()[0]);
        var first = ListItem().Match(lines[i]);
        string start = ordered && first.Groups[1].Value.TrimEnd('.', ')') is var n && n != "1" ? $" start=\"{n}\"" : "";
        html.Append(ordered ? $"<ol{start}>\n" : "<ul>\n");
        while (i < end)
        {
            var item = ListItem().Match(lines[i]);
            if (!item.Success || Indent(lines[i]) != indent || char.IsDigit(item.Groups[1].Value[0]) != ordered) break;
            var text = new StringBuilder(item.Groups[2].Value);
            i++;
            var nested = new StringBuilder();
            while (i < end)
            {
                string l = lines[i];
                if (l.Trim().Length == 0)
                {
                    if (i + 1 < end && Indent(lines[i + 1]) > indent && lines[i + 1].Trim().Length > 0) { i++; continue; }
                    break;
                }
                if (ListItem().IsMatch(l) && Indent(l) > indent) { List(lines, ref i, end, nested, Indent(l)); continue; }
                if (ListItem().IsMatch(l) || (Indent(l) <= indent && StartsBlock(lines, i, end))) break;
                text.Append('\n').Append(l.Trim());
                i++;
            }
            html.Append("<li>").Append(Inline(text.ToString())).Append(nested).Append("</li>\n");
            while (i < end && lines[i].Trim().Length == 0 && i + 1 < end && ListItem().IsMatch(lines[i + 1]) && Indent(lines[i + 1]) == indent) i++;
        }
        html.Append(ordered ? "</ol>\n" : "</ul>\n");
    }

    private static bool IsTableStart(string[] lines, int i, int end) =>
        i + 1 < end && lines[i].Contains('|') && TableDivider().IsMatch(lines[i + 1].Trim());

    private static void Table(string[] lines, ref int i, int end, StringBuilder html)
    {
        var header = Cells(lines[i]);
        var aligns = Cells(lines[i + 1]).Select(c => c.StartsWith(':') && c.EndsWith(':') ? "center" : c.EndsWith(':') ? "right" : c.StartsWith(':') ? "left" : null).ToList();
        i += 2;
        html.Append("<table>\n<thead><tr>");
        for (int c = 0; c < header.Count; c++) html.Append(Cell("th", header[c], c < aligns.Count ? aligns[c] : null));
        html.Append("</tr></thead>\n<tbody>\n");
        while (i < end && lines[i].Contains('|') && lines[i].Trim().Length > 0)
        {
            var row = Cells(lines[i++]);
            html.Append("<tr>");
            for (int c = 0; c < header.Count; c++) html.Append(Cell("td", c < row.Count ? row[c] : "", c < aligns.Count ? aligns[c] : null));
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");

        static string Cell(string tag, string text, string? align) =>
            $"<{tag}{(align is null ? "" : $" style=\"text-align:{align}\"")}>{Inline(text)}</{tag}>";
    }

    private static List<string> Cells(string line)
    {
        string t = line.Trim();
        if (t.StartsWith('|')) t = t[1..];
        if (t.EndsWith('|') && !t.EndsWith("\\|", StringComparison.Ordinal)) t = t[..^1];
        return SplitCells().Split(t).Select(c => c.Trim().Replace("\\|", "|")).ToList();
    }

    /// <summary>Inline Markdown: code spans and math are protected first, then HTML-escaped text gets emphasis and links.</summary>
    public static string Inline(string text)
    {
        var protectedSpans = new List<string>();
        string Protect(string html)
        {
            protectedSpans.Add(html);
            return $"\u0001{protectedSpans.Count - 1}\u0002";
        }

        text = CodeSpan().Replace(text, m => Protect("<code>" + Encode(m.Groups[2].Value.Trim()) + "</code>"));
        text = InlineMath().Replace(text, m => Protect("<span class=\"math\">" + Encode(m.Value) + "</span>"));
        text = Image().Replace(text, m => Protect($"<img src=\"{Attribute(m.Groups[2].Value)}\" alt=\"{Attribute(m.Groups[1].Value)}\">"));
        text = Link().Replace(text, m => Protect($"<a href=\"{Attribute(m.Groups[2].Value)}\">") + m.Groups[1].Value + Protect("</a>"));
        text = AutoLink().Replace(text, m => Protect($"<a href=\"{Attribute(m.Groups[1].Value)}\">{Encode(m.Groups[1].Value)}</a>"));
        text = Encode(text);
        text = Strong().Replace(text, "<strong>$2</strong>");
        text = Emphasis().Replace(text, "$1<em>$3</em>");
        text = Strike().Replace(text, "<del>$1</del>");
        text = text.Replace("\\*", "*").Replace("\\_", "_").Replace("\\$", "$").Replace("\\`", "`");
        return Restore().Replace(text, m => protectedSpans[int.Parse(m.Groups[1].Value)]);
    }

    private static string Attribute(string url)
    {
        url = url.Trim();
        int space = url.IndexOf(' ');
        if (space > 0) url = url[..space]; // drop a "title"
        if (url.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase)) url = "#";
        return WebUtility.HtmlEncode(url);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static int Indent(string line)
    {
        int n = 0;
        foreach (char c in line)
        {
            if (c == ' ') n++;
            else if (c == '\t') n += 4;
            else break;
        }
        return n;
    }

    private static string Slug(string text) =>
        SlugChars().Replace(text.ToLowerInvariant().Trim(), "-").Trim('-');

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")] private static partial Regex Heading();
    [GeneratedRegex(@"^(\*\s*\*\s*\*[\s*]*|-\s*-\s*-[\s-]*|_\s*_\s*_[\s_]*)$")] private static partial Regex HorizontalRule();
    [GeneratedRegex(@"^\s*([-*+]|\d{1,9}[.)])\s+(.*)$")] private static partial Regex ListItem();
    [GeneratedRegex(@"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")] private static partial Regex TableDivider();
    [GeneratedRegex(@"(?<!\\)\|")] private static partial Regex SplitCells();
    [GeneratedRegex(@"(`+)(.+?)\1")] private static partial Regex CodeSpan();
    [GeneratedRegex(@"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)")] private static partial Regex InlineMath();
    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)\s]+(?:\s+""[^""]*"")?)\)")] private static partial Regex Image();
    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+(?:\s+""[^""]*"")?)\)")] private static partial Regex Link();
    [GeneratedRegex(@"<(https?://[^>\s]+)>")] private static partial Regex AutoLink();
    [GeneratedRegex(@"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", RegexOptions.Singleline)] private static partial Regex Strong();
    [GeneratedRegex(@"(^|[^\w*])([*_])(?=\S)(.+?)(?<=\S)\2(?!\w)", RegexOptions.Singleline)] private static partial Regex Emphasis();
    [GeneratedRegex(@"~~(?=\S)(.+?)(?<=\S)~~", RegexOptions.Singleline)] private static partial Regex Strike();
    [GeneratedRegex("\u0001(\\d+)\u0002")] private static partial Regex Restore();
    [GeneratedRegex(@"[^a-z0-9]+")] private static partial Regex SlugChars();
}
