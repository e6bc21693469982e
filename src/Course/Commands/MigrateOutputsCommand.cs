using ModelSecurity.Notebooks.Format;
using ModelSecurity.Notebooks.Formatting;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course migrate-outputs</c>: brings stored notebooks' outputs to today's form without running them (charts as
/// Plotly JSON + PNG, image grids as PNG, readable table text, no plotly.js copies, the kernel's language_info).
/// </summary>
public sealed class MigrateOutputsCommand : ICommand
{
    public string Name => "migrate-outputs";

    public string Summary => "rewrite stored chart/grid/table outputs into today's bundles (no re-run), set language_info";

    public string Help => """
        Usage: course migrate-outputs <notebook.ipynb | folder>...

        Rewrites outputs stored by older versions of the engine, from data already in the file: each chart's
        Plotly figure JSON (inside its old text/html, next to an inlined copy of plotly.js) becomes the bundle a
        fresh run gives — application/vnd.plotly.v1+json, a PNG drawn from the same data, HTML that shows the
        PNG, and a text summary; HTML image grids become one PNG; tables get a readable text/plain. Sets the
        notebook's language_info to what the course kernel reports and writes the file in Jupyter's own layout
        (split lines, sorted keys), so opening (and even saving) it in Jupyter changes nothing.
        Idempotent: run it again after merging or re-executing; unchanged files are not rewritten.
        A folder takes every .ipynb directly in it.

        Exit codes: 0 done, 2 bad usage or not a valid notebook.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } = [];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count == 0) throw new UsageException("name at least one notebook or folder");
        var files = new List<string>();
        foreach (string path in args.Positionals)
        {
            if (Directory.Exists(path)) files.AddRange(Directory.GetFiles(path, "*.ipynb").Order(StringComparer.Ordinal));
            else if (File.Exists(path)) files.Add(path);
            else throw new UsageException($"'{path}' does not exist");
        }
        foreach (string file in files)
        {
            var notebook = NotebookDocument.Load(file);
            string before = File.ReadAllText(file);
            var report = OutputMigration.Migrate(notebook);
            notebook.Metadata["language_info"] = CSharpLanguageInfo.Create();
            string after = notebook.ToJson();
            if (after == before)
            {
                context.Out.WriteLine($"{file}: up to date ({before.Length / 1024} KiB)");
                continue;
            }
            notebook.Save(file);
            context.Out.WriteLine($"{file}: {report.Charts} charts, {report.ImageGrids} image grids, {report.Tables} tables, " +
                                  $"{report.RestoreMessages} restore messages; {before.Length / 1024} KiB → {after.Length / 1024} KiB");
        }
        return Task.FromResult(ExitCodes.Ok);
    }
}
