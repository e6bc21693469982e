using Markdig;

namespace ModelSecurity.Notebooks.Export;

/// <summary>
/// Markdown cells to HTML with Markdig (CommonMark, as Jupyter renders them) plus the extensions notebooks use: math
/// (<c>$…$</c> and <c>$$…$$</c> become <c>span.math</c> / <c>div.math</c>, typeset by KaTeX in the page), pipe tables,
/// emphasis extras, auto-links and GitHub-style heading ids. Raw HTML in Markdown is shown as text, not run: exported
/// pages are opened from anywhere.
/// </summary>
public static class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseMathematics()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub)
        .DisableHtml()
        .Build();

    /// <summary>Renders Markdown to an HTML fragment.</summary>
    public static string ToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return Markdig.Markdown.ToHtml(markdown, Pipeline);
    }
}
