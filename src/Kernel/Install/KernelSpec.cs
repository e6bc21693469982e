using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelSecurity.Kernel.Install;

/// <summary>A kernelspec: the <c>kernel.json</c> that tells Jupyter how to start a kernel.</summary>
/// <param name="Argv">Command line; <c>{connection_file}</c> is replaced by the connection file's path.</param>
/// <param name="DisplayName">Name shown in kernel pickers.</param>
/// <param name="Language">Language name (<c>C#</c>, as the course's notebooks' kernelspec says).</param>
/// <param name="InterruptMode"><c>message</c>: interrupts arrive as <c>interrupt_request</c> on the control socket.</param>
/// <param name="Metadata">Free-form metadata.</param>
public sealed record KernelSpec(IReadOnlyList<string> Argv, string DisplayName, string Language, string InterruptMode, JsonObject Metadata)
{
    /// <summary>The name the course's notebooks ask for (VS Code's and .NET Interactive's C# kernel name): existing notebooks open without edits.</summary>
    public const string DefaultName = ".net-csharp";

    /// <summary>The display name the course's notebooks carry.</summary>
    public const string DefaultDisplayName = ".NET (C#)";

    /// <summary>Marker in <see cref="Metadata"/> that identifies kernelspecs written by <c>course kernel install</c>.</summary>
    public const string MarkerKey = "modelsecurity_course";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The course kernel's spec for a command line that starts <c>course kernel run</c>.</summary>
    public static KernelSpec ForCourse(IReadOnlyList<string> courseCommand, string displayName, string version) => new(
        [.. courseCommand, "kernel", "run", "--connection-file", "{connection_file}"],
        displayName, KernelInfo.LanguageName, "message",
        new JsonObject
        {
            ["debugger"] = false,
            [MarkerKey] = new JsonObject { ["version"] = version, ["protocol_version"] = Protocol.JupyterMessage.ProtocolVersion },
        });

    /// <summary>The <c>kernel.json</c> text.</summary>
    public string ToJson() => new JsonObject
    {
        ["argv"] = new JsonArray(Argv.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
        ["display_name"] = DisplayName,
        ["language"] = Language,
        ["interrupt_mode"] = InterruptMode,
        ["metadata"] = Metadata.DeepClone(),
    }.ToJsonString(Indented);

    /// <summary>Reads a <c>kernel.json</c>; null when it is not a kernelspec.</summary>
    public static KernelSpec? TryLoad(string file)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is not JsonObject json) return null;
            var argv = (json["argv"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? [];
            return new KernelSpec(argv, (string?)json["display_name"] ?? "", (string?)json["language"] ?? "",
                (string?)json["interrupt_mode"] ?? "signal", json["metadata"] as JsonObject ?? new JsonObject());
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>True when <c>course kernel install</c> wrote this spec.</summary>
    public bool IsCourseKernel => Metadata.ContainsKey(MarkerKey);

    /// <summary>True when the spec starts .NET Interactive (the deprecated kernel that used the same name).</summary>
    public bool IsDotNetInteractive => Argv.Any(a => a.Contains("dotnet-interactive", StringComparison.OrdinalIgnoreCase)
                                                     || a.Contains("Microsoft.DotNet.Interactive", StringComparison.OrdinalIgnoreCase))
                                       || (Argv.Count > 1 && Argv[1] == "interactive");
}
