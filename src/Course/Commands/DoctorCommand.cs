using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelSecurity.Cli.Doctor;

namespace ModelSecurity.Cli.Commands;

/// <summary><c>course doctor</c>: is this machine fit for the course? Each check prints ✔, ! or ✘ and the fix.</summary>
public sealed class DoctorCommand : ICommand
{
    private readonly Func<DoctorSettings> _settings;

    /// <summary>The command on this machine and clone.</summary>
    public DoctorCommand() : this(DoctorSettings.ForThisMachine) { }

    /// <summary>The command with injected settings (tests: temporary Jupyter and data folders).</summary>
    internal DoctorCommand(Func<DoctorSettings> settings) => _settings = settings;

    public string Name => "doctor";

    public string Summary => "check this machine: .NET, TorchSharp, CPU, numerics self-test, data, checkpoints, kernel";

    public string Help => $"""
        Usage: course doctor [--json] [--slice N]
               course doctor --update-manifest

        Checks, each printed with ✔ (fine), ! (works; worth a look) or ✘ (broken) and what to do:
          .NET SDK and runtime; TorchSharp's native libraries (and, on Linux, whether the GLIBCXX fix is needed and in
          effect); CPU model and vector extensions (AVX2, AVX-512); a CUDA device; the numerics self-test (convolution
          gradients: batched vs per-example vs a float64 reference for a dilated layer and every layer of the model zoo,
          each zoo model's per-example gradients vs float64, and which convolution path the library uses); the data
          files against data/{DataManifest.FileName}; every checkpoint in data/checkpoints loads and reaches its recorded
          accuracy on a slice of the test set; the Jupyter kernelspec '.net-csharp' (installed? this build? stale? .NET
          Interactive's?); a VS Code hint; free disk. Takes well under a minute on two cores.

        Options:
          --json             machine-readable output (one JSON object) instead of text
          --slice N          test images per checkpoint (default 500; a fixed random slice)
          --update-manifest  write data/{DataManifest.FileName} from the data files as they are now (after changing a
                             shipped file on purpose), then exit. Same as: cd data && sha256sum {string.Join(" ", DataManifest.Folders.Select(f => f + "/*"))} (minus docs)

        Exit codes: 0 no ✘, 1 at least one ✘, 2 bad usage.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } = [new("json", false), new("slice", true), new("update-manifest", false)];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        var settings = _settings();
        if (args.Value("slice") is { } slice)
            settings = settings with { CheckpointSlice = int.TryParse(slice, out int n) && n > 0 ? n : throw new UsageException($"--slice takes a positive whole number, not '{slice}'") };
        if (args.Flag("update-manifest"))
        {
            int count = DataManifest.Write(settings.DataDirectory);
            context.Out.WriteLine($"Wrote {Path.Combine(settings.DataDirectory, DataManifest.FileName)} ({count} files).");
            return Task.FromResult(ExitCodes.Ok);
        }

        bool json = args.Flag("json");
        var clock = Stopwatch.StartNew();
        var results = DoctorChecks.Run(settings, json ? null : result => Print(result, context.Out), context.Interrupt);
        int failed = results.Count(r => r.Status == DoctorStatus.Failed), warned = results.Count(r => r.Status == DoctorStatus.Warning);
        int exit = failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        if (json)
            context.Out.WriteLine(ToJson(results, exit, clock.Elapsed).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        else
            context.Out.WriteLine($"\n{results.Count - failed - warned} ✔, {warned} !, {failed} ✘ in {clock.Elapsed.TotalSeconds:F0} s" +
                                  (failed > 0 ? ": fix the ✘ lines above (each says how)." : "."));
        return Task.FromResult(exit);
    }

    private static void Print(DoctorResult result, TextWriter output)
    {
        output.WriteLine($"{result.Mark} {result.Name}: {result.Summary}");
        foreach (string line in result.Details ?? []) output.WriteLine($"    {line}");
        if (result.Fix is not null && result.Status != DoctorStatus.Ok) output.WriteLine($"    fix: {result.Fix}");
    }

    private static JsonObject ToJson(IReadOnlyList<DoctorResult> results, int exit, TimeSpan elapsed) => new()
    {
        ["ok"] = exit == ExitCodes.Ok,
        ["exitCode"] = exit,
        ["seconds"] = Math.Round(elapsed.TotalSeconds, 1),
        ["checks"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
        {
            ["name"] = r.Name,
            ["status"] = r.Status switch { DoctorStatus.Ok => "ok", DoctorStatus.Warning => "warning", _ => "failed" },
            ["summary"] = r.Summary,
            ["fix"] = r.Fix,
            ["details"] = new JsonArray((r.Details ?? []).Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
        }).ToArray()),
    };
}
