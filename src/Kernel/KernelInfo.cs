using System.Text.Json.Nodes;
using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Kernel;

/// <summary>What the kernel says about itself in <c>kernel_info_reply</c> and writes into notebooks' <c>language_info</c>.</summary>
public static class KernelInfo
{
    /// <summary>The implementation name.</summary>
    public const string Implementation = "modelsecurity-course";

    /// <summary>Language name; the course's notebooks carry the same in <c>language_info.name</c>.</summary>
    public const string LanguageName = "C#";

    /// <summary>The <c>language_info</c> object.</summary>
    public static JsonObject LanguageInfo() => new()
    {
        ["name"] = LanguageName,
        ["version"] = Microsoft.CodeAnalysis.CSharp.LanguageVersionFacts.ToDisplayString(Microsoft.CodeAnalysis.CSharp.LanguageVersionFacts.MapSpecifiedToEffectiveVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest)),
        ["mimetype"] = "text/x-csharp",
        ["file_extension"] = ".cs",
        ["pygments_lexer"] = "csharp",
        ["codemirror_mode"] = "text/x-csharp",
    };

    /// <summary>The content of a <c>kernel_info_reply</c>.</summary>
    public static JsonObject Reply(string implementationVersion) => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = JupyterMessage.ProtocolVersion,
        ["implementation"] = Implementation,
        ["implementation_version"] = implementationVersion,
        ["language_info"] = LanguageInfo(),
        ["banner"] = Banner(implementationVersion),
        ["debugger"] = false,
        ["help_links"] = new JsonArray(),
    };

    private static string Banner(string version) =>
        $"Model security course C# kernel {version} (Roslyn scripting, .NET {Environment.Version}). " +
        "display(x) shows values; #r \"nuget: Id, Version\" adds packages.";
}
