using System.Text;
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

    // Markdig writes math as span.math "\(…\)" and div.math "\[…\]"; KaTeX replaces each element's text in place.
    private const string Typeset = """
        document.addEventListener('DOMContentLoaded', function () {
          document.querySelectorAll('.math').forEach(function (el) {
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
