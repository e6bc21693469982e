using System.Diagnostics;
using System.Text.RegularExpressions;
using ModelSecurity.Notebooks.Export;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>A fact that is skipped, visibly, when no headless Chromium is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null)
            Skip = "chromium is not installed: apt-get install chromium (environment/setup.sh does), or set COURSE_CHROMIUM";
    }
}

/// <summary>A fact skipped, visibly, without headless Chromium or Debian's Jupyter Notebook.</summary>
public sealed class JupyterNotebookFactAttribute : FactAttribute
{
    public JupyterNotebookFactAttribute()
    {
        if (Chromium.Executable is null) Skip = "chromium is not installed: apt-get install chromium (environment/setup.sh does)";
        else if (!File.Exists("/usr/bin/jupyter-notebook")) Skip = "Jupyter Notebook is not installed: apt-get install jupyter-notebook (environment/setup.sh does)";
    }
}

/// <summary>Debian's chromium, driven from the command line (--dump-dom, --screenshot): no driver, no browser download.</summary>
internal static class Chromium
{
    public static readonly string? Executable =
        new[] { Environment.GetEnvironmentVariable("COURSE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>Screenshots land here (in the test output folder, never committed).</summary>
    public static string ScreenshotFolder => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "browser-screenshots")).FullName;

    /// <summary>Loads a page, lets scripts run, and returns the DOM and the browser's console messages.</summary>
    public static (string Dom, IReadOnlyList<string> Console) DumpDom(string page, int budgetMs = 10000)
    {
        string url = page.StartsWith("http", StringComparison.Ordinal) ? page : new Uri(page).AbsoluteUri;
        var (stdout, stderr) = Run("--enable-logging=stderr", "--v=0", $"--virtual-time-budget={budgetMs}", "--dump-dom", url);
        var console = stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        return (stdout, console);
    }

    /// <summary>A screenshot of the top <paramref name="height"/> pixels of the page.</summary>
    public static string Screenshot(string page, string name, int height)
    {
        string file = Path.Combine(ScreenshotFolder, name);
        File.Delete(file);
        string url = page.StartsWith("http", StringComparison.Ordinal) ? page : new Uri(page).AbsoluteUri;
        Run("--hide-scrollbars", "--virtual-time-budget=20000", $"--window-size=1100,{height}", $"--screenshot={file}", url);
        Assert.True(File.Exists(file), $"chromium wrote no screenshot {file}");
        return file;
    }

    private static (string Stdout, string Stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + Path.Combine(Path.GetTempPath(), "course-chromium-" + Guid.NewGuid().ToString("N")) }.Concat(arguments))
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 120 s");
        }
        return (stdout.Result, stderr.Result);
    }
}

/// <summary>
/// A stored, executed chapter exported with <c>course export</c> and opened in headless Chromium: with JavaScript the
/// charts are drawn by plotly.js and the math is typeset (KaTeX), with no console message; without it, every chart shows
/// its PNG and the math (typeset at export time) still shows; in Jupyter Notebook, untrusted, every chart shows, and still
/// does after a chart cell is re-run, the notebook saved and reloaded (BrowserTests.Rerun.cs). Screenshots go to
/// <c>bin/…/browser-screenshots</c>.
/// </summary>
public partial class BrowserTests
{
    private const string Chapter = "notebooks/04-trades.ipynb";

    private static (string Page, string Html) Export(string name)
    {
        var notebook = NotebookDocument.Load(Path.Combine(CoursePaths.Root, Chapter));
        string page = Path.Combine(Chromium.ScreenshotFolder, name);
        string html = HtmlExporter.Export(notebook);
        File.WriteAllText(page, html);
        return (page, html);
    }

    [ChromiumFact]
    public void ExportedChapterDrawsChartsAndTypesetsMathOffline()
    {
        var (page, html) = Export("04-trades.html");
        int figures = Count(html, $"<div class=\"{FigureFormatter.HtmlClass}\"");
        int math = Count(html, "class=\"math\"");
        Assert.True(figures >= 2 && math >= 3, $"the chapter should have charts and math ({figures} charts, {math} formulas)");

        var (dom, console) = Chromium.DumpDom(page);
        Assert.True(console.Count == 0, "console messages:\n" + string.Join('\n', console));
        Assert.True(Count(dom, "class=\"main-svg\"") >= figures, $"plotly.js drew {Count(dom, "class=\"main-svg\"")} SVGs for {figures} charts");
        Assert.True(TraceGroup().Matches(dom).Count >= figures, "no Plotly traces were drawn");
        Assert.Equal(math, Count(dom, "class=\"katex\""));
        Assert.DoesNotMatch(RawMath(), dom);
        Chromium.Screenshot(page, "04-trades-js.png", 1400);
    }

    [ChromiumFact]
    public void WithJavaScriptOffEveryChartShowsItsPicture()
    {
        var (page, html) = Export("04-trades-nojs.html");
        // A Content-Security-Policy that forbids every script: the page as GitHub, e-mail or print shows it.
        File.WriteAllText(page, html.Replace("<head>", "<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\">", StringComparison.Ordinal));
        int figures = Count(html, $"<div class=\"{FigureFormatter.HtmlClass}\"");
        var (dom, _) = Chromium.DumpDom(page);
        Assert.Equal(0, Count(dom, "class=\"main-svg\""));
        Assert.Equal(figures, StaticFigure().Matches(dom).Count);
        Assert.Equal(Count(html, "class=\"math\""), Count(dom, "class=\"katex\"")); // typeset at export time
        Chromium.Screenshot(page, "04-trades-nojs.png", 6000);
    }

    [JupyterNotebookFact]
    public async Task UntrustedChapterInJupyterNotebookShowsEveryChart()
    {
        // A fresh clone's notebooks are untrusted: Jupyter runs none of their scripts and sanitizes their HTML.
        using var server = await JupyterNotebookServer.StartAsync(
            nb => File.Copy(Path.Combine(CoursePaths.Root, Chapter), Path.Combine(nb, "chapter.ipynb")), courseKernel: false);
        int figures = Figures(NotebookDocument.Load(Path.Combine(server.NotebookFolder, "chapter.ipynb")));
        string url = $"{server.BaseUrl}/notebooks/chapter.ipynb";
        var (dom, _) = Chromium.DumpDom(url, budgetMs: 20000);
        Assert.Contains("Not Trusted", dom);
        Assert.Equal(figures, StaticFigure().Matches(dom).Count);
        Chromium.Screenshot(url, "04-trades-jupyter-untrusted.png", 5000);
    }

    private static int Figures(NotebookDocument notebook) =>
        notebook.Cells.SelectMany(c => c.Outputs).Count(o => o?["data"]?[FigureFormatter.PlotlyMime] is not null);

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    [GeneratedRegex("<g class=\"trace (scatter|bars)")]
    private static partial Regex TraceGroup();

    [GeneratedRegex("<div class=\"course-figure\" id=\"[^\"]+\"><img src=\"data:image/png;base64,")]
    private static partial Regex StaticFigure();

    // Math left as text: Markdig's delimiters inside a math element that KaTeX did not replace.
    [GeneratedRegex(@"class=""math"">\s*\\[\(\[]")]
    private static partial Regex RawMath();
}
