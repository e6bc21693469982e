using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelSecurity.Notebooks.Format;

/// <summary>
/// The notebook's <c>language_info</c> as the course kernel reports it in <c>kernel_info_reply</c>. Jupyter copies the
/// kernel's value into the notebook when it opens one, so stored notebooks carry exactly this object: opening a chapter
/// then leaves the file (and git) unchanged.
/// </summary>
public static class CSharpLanguageInfo
{
    /// <summary>Language name (<c>language_info.name</c>).</summary>
    public const string Name = "C#";

    /// <summary>A fresh <c>language_info</c> object.</summary>
    public static JsonObject Create() => new()
    {
        ["codemirror_mode"] = "text/x-csharp",
        ["file_extension"] = ".cs",
        ["mimetype"] = "text/x-csharp",
        ["name"] = Name,
        ["pygments_lexer"] = "csharp",
        ["version"] = LanguageVersionFacts.ToDisplayString(LanguageVersionFacts.MapSpecifiedToEffectiveVersion(LanguageVersion.Latest)),
    };
}
