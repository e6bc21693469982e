using System.Text.Json.Nodes;
using ModelSecurity.Kernel.Protocol;

namespace ModelSecurity.Kernel;

/// <summary>What the kernel says about itself in <c>kernel_info_reply</c> and writes into notebooks' <c>language_info</c>.</summary>
public static class KernelInfo
{
    /// <summary>The implementation name.</summary>
    public const string Implementation = "modelsecurity-course";

    /// <summary>Language name; the course's notebooks carry the same in <c>language_info.name</c>.</summary>
    public const string LanguageName = ModelSecurity.Notebooks.Format.CSharpLanguageInfo.Name;

    /// <summary>The <c>language_info</c> object (the one stored notebooks carry).</summary>
    public static JsonObject LanguageInfo() => ModelSecurity.Notebooks.Format.CSharpLanguageInfo.Create();

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
