using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ModelSecurity.Notebooks.Export;

/// <summary>
/// KaTeX (npm <c>katex</c>, pinned in <c>environment/package.json</c>, installed by <c>environment/setup.sh</c> with
/// <c>npm ci</c>) inlined into exported pages: script, stylesheet and its woff2 fonts as data URIs, so math renders with
/// no network and no files beside the page.
/// </summary>
public static partial class KatexAssets
{
    /// <summary>Where the KaTeX distribution is looked for, relative to the course's root.</summary>
    public const string RelativeDistFolder = "environment/node_modules/katex/dist";

    /// <summary>
    /// The KaTeX <c>dist</c> folder: <c>$COURSE_KATEX_DIR</c> when set, else <see cref="RelativeDistFolder"/> under the
    /// course root; null when neither has <c>katex.min.js</c>.
    /// </summary>
    public static string? FindDist()
    {
        string? configured = Environment.GetEnvironmentVariable("COURSE_KATEX_DIR");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured)) candidates.Add(configured);
        try
        {
            candidates.Add(Path.Combine(ModelSecurity.CoursePaths.Root, RelativeDistFolder));
        }
        catch (InvalidOperationException)
        {
            // Not inside a clone of the course: only the environment variable can help.
        }
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "katex.min.js")));
    }

    /// <summary>What to do when KaTeX is missing (used by <c>course export</c>'s error).</summary>
    public const string InstallHint =
        "KaTeX (npm package katex) is not installed: run environment/setup.sh, or `npm ci --prefix environment` " +
        "(or set COURSE_KATEX_DIR to a katex/dist folder). The export bundles it so that math renders offline.";

    /// <summary>The style and script elements for a page's head, typesetting every <c>.math</c> element on load.</summary>
    /// <exception cref="FileNotFoundException">KaTeX is not installed (<see cref="InstallHint"/>).</exception>
    public static string HeadElements(string? dist = null)
    {
        dist ??= FindDist();
        if (dist is null || !File.Exists(Path.Combine(dist, "katex.min.js"))) throw new FileNotFoundException(InstallHint);
        string css = FontReference().Replace(File.ReadAllText(Path.Combine(dist, "katex.min.css")), match =>
        {
            string font = Path.Combine(dist, "fonts", match.Groups[1].Value + ".woff2");
            return $"src:url(data:font/woff2;base64,{Convert.ToBase64String(File.ReadAllBytes(font))}) format(\"woff2\")";
        });
        string script = File.ReadAllText(Path.Combine(dist, "katex.min.js")).Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
        return new StringBuilder()
            .Append("<style data-course-katex>").Append(css).Append("</style>\n")
            .Append("<script data-course-katex>").Append(script).Append("</script>\n")
            .Append("<script>\n").Append(Typeset).Append("</script>\n")
            .ToString();
    }

    /// <summary>
    /// Typesets the page's math at export time with KaTeX under Node.js, so that formulas show even with JavaScript off
    /// (print, e-mail, locked-down viewers). Returns the HTML with every <c>span.math</c> / <c>div.math</c> rendered, or
    /// the HTML unchanged when Node.js is not installed (the page's script then typesets it in the browser).
    /// </summary>
    public static string PreRender(string html, string? dist = null)
    {
        ArgumentNullException.ThrowIfNull(html);
        var matches = MathElement().Matches(html);
        if (matches.Count == 0) return html;
        dist ??= FindDist();
        if (dist is null) return html;
        var items = matches.Select(m => new { tex = WebUtility.HtmlDecode(m.Groups["tex"].Value).Trim(), display = m.Groups["tag"].Value == "div" }).ToList();
        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(NodeRenderer);
        start.ArgumentList.Add(Path.Combine(dist, "katex.js"));
        string[]? rendered;
        try
        {
            using var node = Process.Start(start)!;
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            node.StandardInput.Write(JsonSerializer.Serialize(items));
            node.StandardInput.Close();
            if (!node.WaitForExit(120_000)) { node.Kill(entireProcessTree: true); return html; }
            rendered = node.ExitCode == 0 ? JsonSerializer.Deserialize<string[]>(stdout.Result) : null;
        }
        catch (Win32Exception)
        {
            return html; // no Node.js: the browser typesets
        }
        if (rendered is null || rendered.Length != matches.Count) return html;
        var page = new StringBuilder(html.Length * 2);
        int last = 0;
        for (int i = 0; i < matches.Count; i++)
        {
            var m = matches[i];
            page.Append(html, last, m.Index - last)
                .Append('<').Append(m.Groups["tag"].Value).Append(" class=\"math\">").Append(rendered[i]).Append("</").Append(m.Groups["tag"].Value).Append('>');
            last = m.Index + m.Length;
        }
        return page.Append(html, last, html.Length - last).ToString();
    }

    // Reads [{tex, display}] as JSON on stdin, writes the rendered HTML strings as a JSON array.
    private const string NodeRenderer = """
        const katex = require(process.argv[1]);
        let input = '';
        process.stdin.on('data', d => input += d).on('end', () => {
          const items = JSON.parse(input);
          process.stdout.write(JSON.stringify(items.map(i => katex.renderToString(i.tex, { displayMode: i.display, throwOnError: false }))));
        });
        """;

    [GeneratedRegex(@"<(?<tag>span|div) class=""math"">\s*\\[\(\[](?<tex>.*?)\\[\)\]]\s*</\k<tag>>", RegexOptions.Singleline)]
    private static partial Regex MathElement();

    // Markdig writes math as span.math "\(…\)" and div.math "\[…\]"; KaTeX replaces each element's text in place.
    private const string Typeset = """
        document.addEventListener('DOMContentLoaded', function () {
          document.querySelectorAll('.math').forEach(function (el) {
            if (el.querySelector('.katex')) return; // typeset at export time already
            var tex = el.textContent.trim(), display = el.tagName === 'DIV';
            if (/^\\[\(\[]/.test(tex)) tex = tex.slice(2, -2);
            try { katex.render(tex, el, { displayMode: display, throwOnError: false }); }
            catch (e) { el.title = String(e); }
          });
        });

        """;

    // Each @font-face lists woff2, woff and ttf; only woff2 (every current browser) is inlined.
    [GeneratedRegex(@"src:url\(fonts/([\w-]+)\.woff2\) format\(""woff2""\)(?:,url\([^)]*\) format\(""[a-z]+""\))*")]
    private static partial Regex FontReference();
}
