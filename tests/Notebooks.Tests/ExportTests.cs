using ModelSecurity.Notebooks.Export;
using static ModelSecurity.Notebooks.Tests.TestSupport;

namespace ModelSecurity.Notebooks.Tests;

public class ExportTests
{
    [Fact]
    public async Task ShowcaseRunsValidatesAndExportsToStandaloneHtml()
    {
        string dir = NewDirectory();
        string notebook = Path.Combine(dir, "showcase.ipynb");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "showcase.ipynb"), notebook);
        var (exit, _, error) = await RunCli("run", notebook, "--param", "Epochs=3");
        Assert.True(exit == 0, error);
        NbformatValidator.AssertValid(notebook);

        string html = Path.Combine(dir, "showcase.html");
        Assert.Equal(0, (await RunCli("export", notebook, "-o", html)).Exit);
        string page = File.ReadAllText(html);
        Assert.Contains("<h1 id=\"showcase-notebook\">Showcase notebook</h1>", page);
        Assert.Contains("<strong>every display kind</strong>", page);
        Assert.Contains("<td style=\"text-align: right;\">0.91</td>", page);
        // Math is typeset at export time (KaTeX under Node.js), so it shows even with JavaScript off.
        Assert.Contains("<span class=\"math\"><span class=\"katex\">", page);
        Assert.Contains("<annotation encoding=\"application/x-tex\">\\epsilon_\\infty = \\max_i |\\delta_i|</annotation>", page);
        Assert.Contains("<div class=\"math\"><span class=\"katex-display\">", page);
        Assert.DoesNotContain("class=\"math\">\\(", page);
        Assert.Contains("<style data-course-katex>", page); // KaTeX inlined: math renders offline
        Assert.Contains("src:url(data:font/woff2;base64,", page);
        Assert.DoesNotContain("url(fonts/", page);
        Assert.Contains("<li>nested item</li>", page);
        Assert.Contains("Training for 3 epochs", page);
        Assert.Contains("<th>Epoch</th><th>Loss</th><th>Accuracy</th>", page);
        Assert.Contains("Tensor float32 [2, 3] on cpu", page);
        Assert.Contains("src=\"data:image/png;base64,", page);
        Assert.Equal(1, Occurrences(page, "* plotly.js v"));
        Assert.Equal(2, Occurrences(page, "Plotly.newPlot(el,"));
        Assert.Equal(2, Occurrences(page, "<div class=\"course-figure\""));
        Assert.True(page.IndexOf("* plotly.js v", StringComparison.Ordinal) < page.IndexOf("</head>", StringComparison.Ordinal));
        Assert.DoesNotContain("https://cdn", page);
        Assert.DoesNotContain("<script src=", page);
    }

    [Fact]
    public void MarkdownIsCommonMarkWithMathAndPipeTables()
    {
        Assert.Equal("<h2 id=\"a--b\">A &amp; B</h2>\n", Markdown.ToHtml("## A & B")); // GitHub's ids
        Assert.Equal("<p>x <em>y</em> <strong>z</strong> <code>a_b*c</code> <a href=\"u\">t</a></p>\n", Markdown.ToHtml("x *y* **z** `a_b*c` [t](u)"));
        Assert.Equal("<p>keep <span class=\"math\">\\(a_1 * b_2\\)</span> as math</p>\n", Markdown.ToHtml("keep $a_1 * b_2$ as math"));
        Assert.Contains("<div class=\"math\">\n\\[\n\\max_{\\delta} L\n\\]</div>", Markdown.ToHtml("$$\n\\max_{\\delta} L\n$$"));
        Assert.Equal("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n", Markdown.ToHtml("<script>alert(1)</script>"));
        Assert.Equal("<p>costs $5 and $6</p>\n", Markdown.ToHtml("costs $5 and $6"));
        Assert.Contains("<td>0.91</td>", Markdown.ToHtml("| a | b |\n|---|---|\n| x | 0.91 |"));
    }

    [Fact]
    public void ExportWithoutKatexSaysHowToInstallIt()
    {
        var doc = ModelSecurity.Notebooks.Format.NotebookDocument.CreateNew();
        doc.AddCell(ModelSecurity.Notebooks.Format.NotebookCellKind.Markdown, "Math: $x^2$");
        var error = Assert.Throws<FileNotFoundException>(() => HtmlExporter.Export(doc, katexDist: Path.Combine(NewDirectory(), "no-katex")));
        Assert.Contains("npm ci --prefix environment", error.Message);
    }

    private static int Occurrences(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
