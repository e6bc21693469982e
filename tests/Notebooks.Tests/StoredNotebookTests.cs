using System.Diagnostics;
using System.Text.Json.Nodes;
using ModelSecurity.Kernel;
using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Notebooks.Tests;

/// <summary>
/// The executed notebooks as stored in the repository: small, every chart with a picture, no plotly.js copies, and the
/// metadata and layout Jupyter would write, so that opening one leaves git clean. After re-executing notebooks, run
/// <c>course migrate-outputs notebooks notebooks/solutions</c> (see docs/readable-chapters.md).
/// </summary>
public class StoredNotebookTests
{
    private const long MaxBytes = 1_000_000;

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        string root = CoursePaths.Root;
        foreach (string folder in new[] { "notebooks", "notebooks/solutions" })
            foreach (string file in Directory.GetFiles(Path.Combine(root, folder), "*.ipynb").Order(StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookIsSmallAndEveryChartHasAPicture(string relativePath)
    {
        string path = Path.Combine(CoursePaths.Root, relativePath);
        long size = new FileInfo(path).Length;
        Assert.True(size <= MaxBytes, $"{relativePath} is {size:N0} bytes (limit {MaxBytes:N0}); run course migrate-outputs on it");
        var notebook = NotebookDocument.Load(path);
        foreach (var output in notebook.Cells.SelectMany(c => c.Outputs).OfType<JsonObject>())
        {
            if (output["data"] is not JsonObject data) continue;
            string html = data["text/html"] is { } h ? NotebookCell.FromMultiline(h) : "";
            Assert.DoesNotContain("* plotly.js v", html);
            bool chart = data[FigureFormatter.PlotlyMime] is not null || html.Contains("Plotly.newPlot", StringComparison.Ordinal);
            if (chart) Assert.True(data["image/png"] is not null, $"{relativePath}: a chart output has no image/png");
            if (data.Count > 0) Assert.True(data["text/plain"] is not null, $"{relativePath}: an output has no text/plain ({string.Join(", ", data.Select(p => p.Key))})");
            string text = data["text/plain"] is { } t ? NotebookCell.FromMultiline(t) : "";
            Assert.DoesNotContain("Iterator<", text);
            Assert.DoesNotContain("Iterator>", text);
        }
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookCarriesTheKernelsLanguageInfo(string relativePath)
    {
        var notebook = NotebookDocument.Load(Path.Combine(CoursePaths.Root, relativePath));
        Assert.True(JsonNode.DeepEquals(KernelInfo.LanguageInfo(), notebook.Metadata["language_info"]),
            $"{relativePath}: language_info is {notebook.Metadata["language_info"]?.ToJsonString()}, the kernel reports {KernelInfo.LanguageInfo().ToJsonString()}");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookIsStoredInJupytersOwnLayout(string relativePath)
    {
        // Jupyter (nbformat) writes sorted keys and split lines; a file already in that form is not rewritten on save.
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import nbformat,sys; s=open(sys.argv[1],encoding='utf-8').read(); " +
                               "print('same' if nbformat.writes(nbformat.reads(s, as_version=4)) + '\\n' == s else 'rewritten')");
        start.ArgumentList.Add(Path.Combine(CoursePaths.Root, relativePath));
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"/usr/bin/python3 with nbformat is needed (apt-get install python3-nbformat): {stderr}");
        Assert.True(stdout.Trim() == "same", $"{relativePath}: Jupyter would rewrite this file on save; run course migrate-outputs on it");
    }
}
