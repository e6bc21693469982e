using ModelSecurity.IO;
using ModelSecurity.Notebooks.Export;
using ModelSecurity.Notebooks.Format;

namespace ModelSecurity.Cli.Commands;

/// <summary><c>course export</c>: a notebook as one standalone HTML file.</summary>
public sealed class ExportCommand : ICommand
{
    public string Name => "export";

    public string Summary => "export a notebook to standalone HTML (works offline)";

    public string Help => """
        Usage: course export <notebook.ipynb> [-o out.html]

        Writes one self-contained HTML file that needs no network to view: Markdown rendered (Markdig), LaTeX
        math typeset by KaTeX at export time under Node.js (so it shows with JavaScript off too; without Node.js
        the page typesets it on load), KaTeX's style and fonts inlined, code with its stored outputs, images inline,
        plotly.js embedded once when the notebook has charts (no CDN); with JavaScript off the charts show as
        their stored pictures. KaTeX comes from npm: environment/setup.sh installs it (npm ci --prefix environment).
        Run the notebook first (course run) to include fresh outputs.

        Options:
          -o, --output PATH   output file (default: the notebook's name with .html, next to it)

        Exit codes: 0 written, 1 KaTeX not installed, 2 bad usage or not a valid notebook.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } = [new("output", true, "o")];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        string file = args.SinglePositional("notebook");
        if (!File.Exists(file)) throw new UsageException($"'{file}' does not exist");
        var notebook = NotebookDocument.Load(file);
        string output = args.Value("output") ?? Path.ChangeExtension(file, ".html");
        string html;
        try
        {
            html = HtmlExporter.Export(notebook);
        }
        catch (FileNotFoundException e) when (e.Message == KatexAssets.InstallHint)
        {
            context.Error.WriteLine($"error: {e.Message}");
            return Task.FromResult(ExitCodes.Failed);
        }
        AtomicFile.WriteAllText(output, html);
        context.Error.WriteLine($"Exported {file} to {output}");
        return Task.FromResult(ExitCodes.Ok);
    }
}
