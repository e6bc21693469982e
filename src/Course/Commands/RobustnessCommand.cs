using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.IO;
using ModelSecurity.Models;
using ModelSecurity.Runtime;

namespace ModelSecurity.Cli.Commands;

/// <summary>
/// <c>course robustness</c>: accuracy of a checkpoint under FGSM and PGD for several ε, as a table (ε sweeps nested: a
/// point broken at a smaller ε counts as broken at every larger one without being attacked again); with
/// <c>--autoattack</c>, the AutoAttack standard evaluation with per-point accounting and 95 % intervals.
/// </summary>
public sealed class RobustnessCommand : ICommand
{
    private static readonly string[] DefaultAttacks = ["fgsm", "pgd20", "pgd20x5"];

    public string Name => "robustness";

    public string Summary => "robust accuracy of a checkpoint under FGSM / PGD for several ε (a results table)";

    public string Help => $"""
        Usage: course robustness [--model PATH] [--attacks {string.Join(',', DefaultAttacks)}] [--eps 0.01,0.03,0.05,0.1,0.2,0.3]
                                 [--subset N | --images N] [--batch N] [--seed S] [-o results.json] [--markdown table.md] [--device D]
               course robustness --autoattack [--checkpoint PATH] [--eps 0.1] [--norm linf|l2] [--images N] [--no-early-exit]
                                 [--attacks apgd-ce,apgd-t,fab-t,square] [-o results.json [--chunk 100] [--resume]] ...

        Attacks every test image (or a random subset) of the checkpoint's dataset and prints accuracy per attack and ε.
        Attacks: fgsm; pgdK (PGD-K, L∞, random start, step 2.5·ε/K); pgdKxR (R restarts, keeping each image's strongest).
        The ε sweep is nested: a point broken at a smaller ε is broken at every larger one and is not attacked again.

        --autoattack runs AutoAttack, version "standard" (Croce & Hein 2020): APGD-CE, APGD-T (targeted DLR, 9 targets),
        FAB-T (9 targets), Square (5 000 queries; L∞ only), each only on the points no earlier attack broke. It prints clean
        accuracy, the robust accuracy after each attack (cumulative: a point is robust only if every attack failed on it),
        how many points each attack broke, and 95 % Wilson intervals.

        Options:
          --model PATH     checkpoint (default: the shipped baseline); --checkpoint PATH is the same
          --autoattack     run AutoAttack (standard) at one ε (default 0.1) instead of the sweep
          --norm N         linf (default) or l2, with --autoattack
          --no-early-exit  with --autoattack: run every attack on every point (slower; same numbers, for comparison)
          --chunk N        with --autoattack -o: evaluate N images at a time and rewrite the JSON after each part (default 100),
                           so an interrupted run keeps what it measured
          --record         with --autoattack: also write the result into the checkpoint's metadata (autoattack.* keys:
                           version, norm, ε, images, clean and robust accuracy with its interval, the JSON's name);
                           the weights are written back unchanged
          --resume         with --autoattack -o: continue the run already in that JSON (same checkpoint, ε, norm, seed and
                           images) from its first unevaluated image; the per-point results equal those of one uninterrupted run
          --images N       attack the first N test images
          --attacks LIST   comma-separated attacks (default: {string.Join(',', DefaultAttacks)}); with --autoattack, a subset
                           of apgd-ce,apgd-t,fab-t,square (version "custom", recorded as autoattack-NAMES.*), e.g. apgd-ce
                           alone, fast enough for the whole test set
          --eps LIST       comma-separated L∞ budgets in pixel units
          --subset N       attack N random test images instead of all
          --seed S         seed of the subset and of PGD's random starts (default 0)
          -o PATH          write every report as JSON (--json PATH is the same)
          --markdown PATH  write the table as Markdown

        Exit codes: 0 done, 2 bad usage or input file, 130 interrupted.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("model", true), new("attacks", true), new("eps", true), new("subset", true), new("batch", true),
        new("seed", true), new("output", true, "o"), new("markdown", true), new("device", true),
        new("checkpoint", true), new("autoattack", false), new("norm", true), new("no-early-exit", false), new("images", true), new("json", true),
        new("chunk", true), new("resume", false), new("record", false),
    ];

    public Task<int> RunAsync(ParsedArgs args, CliContext context)
    {
        if (args.Positionals.Count > 0) throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        if (args.Value("model") is not null && args.Value("checkpoint") is not null)
            throw new UsageException("give the checkpoint once: --model PATH or --checkpoint PATH, not both");
        if (args.Value("subset") is not null && args.Value("images") is not null)
            throw new UsageException("--subset N picks N random images, --images N the first N: use one of them");
        if (args.Value("output") is not null && args.Value("json") is not null)
            throw new UsageException("give the JSON path once: -o PATH or --json PATH, not both");
        if (args.Flag("autoattack")) return Task.FromResult(RunAutoAttack(args, context));
        if (args.Value("norm") is not null || args.Flag("no-early-exit") || args.Value("chunk") is not null || args.Flag("resume") || args.Flag("record"))
            throw new UsageException("--norm, --no-early-exit, --chunk, --resume and --record go with --autoattack");
        double[] epsilons = ParseList(args.Value("eps") ?? "0.01,0.03,0.05,0.1,0.2,0.3", "--eps (ε must be a number ≥ 0)",
                s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v))
            .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        string[] attacks = ParseList(args.Value("attacks") ?? string.Join(',', DefaultAttacks), "--attacks",
            s => TryParseAttack(s, out _, out _));
        int seed = ParseInt(args.Value("seed") ?? "0", "--seed", 0);
        int batch = ParseInt(args.Value("batch") ?? "500", "--batch", 1);
        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);

        string path = CheckpointPath(args);
        var (model, info) = Checkpoint.LoadWithInfo(path, device);
        using var test = Datasets.Load(info.Dataset, DataSplit.Test);
        using var data = SelectImages(args, test, seed);
        context.Out.WriteLine($"{info.Architecture} from {path}: attacking {data.Count} {info.Dataset} test images on {device}");

        var reports = new List<AttackReport>();
        for (int done = 1; done <= attacks.Length; done++)
        {
            string attack = attacks[done - 1];
            reports.AddRange(RobustnessEvaluator.Sweep(model, data, epsilons, eps => Create(attack, model, eps, seed), device, batch, context.Out));
            // Written after every attack, so an interrupted long run keeps what it measured.
            var finished = attacks[..done];
            string table = Table(finished, epsilons, reports, data.Count);
            if (done == attacks.Length)
            {
                context.Out.WriteLine();
                context.Out.WriteLine(table);
            }
            if (JsonPath(args) is { } json)
                AtomicFile.WriteAllText(json, JsonSerializer.Serialize(
                    new { checkpoint = Path.GetFileName(path), info.Architecture, info.Dataset, images = data.Count, seed, attacks = finished, reports },
                    new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            if (args.Value("markdown") is { } markdown)
                AtomicFile.WriteAllText(markdown, table + "\n");
        }
        if (JsonPath(args) is { } written) context.Out.WriteLine($"Wrote {written}");
        if (args.Value("markdown") is { } writtenTable) context.Out.WriteLine($"Wrote {writtenTable}");
        model.Dispose();
        return Task.FromResult(ExitCodes.Ok);
    }

    /// <summary><c>--autoattack</c>: the AutoAttack standard table for one ε.</summary>
    private static int RunAutoAttack(ParsedArgs args, CliContext context)
    {
        // --attacks picks a subset, like the reference's version='custom' with attacks_to_run (e.g. APGD-CE alone on a whole test set).
        string[]? subset = args.Value("attacks") is { } list
            ? ParseList(list.ToLowerInvariant(), $"--attacks with --autoattack (names: {string.Join(", ", AutoAttack.AttackNames)})", AutoAttack.AttackNames.Contains)
            : null;
        string epsText = args.Value("eps") ?? "0.1";
        if (!double.TryParse(epsText, NumberStyles.Float, CultureInfo.InvariantCulture, out double eps) || !double.IsFinite(eps) || eps <= 0)
            throw new UsageException($"--eps with --autoattack takes one budget > 0, e.g. 0.1; got '{epsText}'");
        var norm = (args.Value("norm") ?? "linf").ToLowerInvariant() switch
        {
            "linf" or "l-inf" or "l∞" => Norm.LInf,
            "l2" => Norm.L2,
            var other => throw new UsageException($"--norm takes linf or l2, not '{other}'"),
        };
        int seed = ParseInt(args.Value("seed") ?? "0", "--seed", 0);
        int batch = ParseInt(args.Value("batch") ?? "500", "--batch", 1);
        bool earlyExit = !args.Flag("no-early-exit");
        Interruption.Token = context.Interrupt;
        var device = CommonOptions.Device(args);
        string path = CheckpointPath(args);
        var (model, info) = Checkpoint.LoadWithInfo(path, device);
        using var test = Datasets.Load(info.Dataset, DataSplit.Test);
        using var data = SelectImages(args, test, seed);
        AutoAttack autoAttack;
        try
        {
            autoAttack = subset is null
                ? new AutoAttack(model, eps, norm, AutoAttack.StandardVersion, seed)
                : new AutoAttack(model, eps, norm, AutoAttack.CustomVersion, seed, subset);
        }
        catch (ArgumentException e) { throw new UsageException($"--attacks with --norm {(norm == Norm.LInf ? "linf" : "l2")}: {e.Message.Split(" (Parameter")[0]}"); }
        context.Out.WriteLine($"{info.Architecture} from {path}: AutoAttack ({autoAttack.Version}) on {data.Count} {info.Dataset} test images, " +
                              $"{(norm == Norm.LInf ? "L∞" : "L2")} ε = {eps.ToString(CultureInfo.InvariantCulture)}, on {device}");
        string? json = JsonPath(args);
        int chunk = ParseInt(args.Value("chunk") ?? "100", "--chunk", 1);
        if (json is null && (args.Value("chunk") is not null || args.Flag("resume")))
            throw new UsageException("--chunk and --resume need -o FILE: the JSON is where the finished parts are kept");
        WorstCaseReport report;
        bool wroteJson = false;
        if (json is null) report = autoAttack.Evaluate(data, device, batch, earlyExit, context.Out);
        else
        {
            // In parts, each saved as soon as it is done: AutoAttack on 1 000 images takes about an hour on two cores.
            var parts = new List<WorstCaseReport>();
            if (args.Flag("resume") && File.Exists(json))
            {
                var stored = StoredEvaluation.Load(json);
                // A finished run on the first K images may be extended to the first N > K.
                string? firstName = args.Value("subset") is null && stored.Report.Count <= test.Count ? FirstImagesName(test, stored.Report.Count) : null;
                CheckResumable(json, stored, Path.GetFileName(path), autoAttack, seed, earlyExit, data, firstName);
                parts.Add(stored.Report);
                context.Out.WriteLine($"Resuming {json}: {stored.Report.Count} of {data.Count} images already evaluated");
            }
            else if (args.Flag("resume"))
                context.Out.WriteLine($"Nothing to resume at {json}: starting from the first image");
            for (int start = parts.Sum(p => p.Count); start < data.Count; start += chunk)
            {
                int end = Math.Min(data.Count, start + chunk);
                using var part = data.Select(Enumerable.Range(start, end - start).Select(i => (long)i).ToArray());
                context.Out.WriteLine($"Images {start}–{end - 1} of {data.Count}:");
                parts.Add(autoAttack.Evaluate(part, device, batch, earlyExit, context.Out, firstId: start));
                var sofar = WorstCaseReport.Combine(parts);
                new StoredEvaluation(Path.GetFileName(path), info.Architecture, info.Dataset, SelectionName(data, sofar.Count),
                                     autoAttack.Version, seed, sofar).Save(json);
                wroteJson = true;
            }
            report = WorstCaseReport.Combine(parts);
            if (!wroteJson) context.Out.WriteLine($"{json} already holds all {data.Count} images");
        }
        string table = report.ToMarkdown();
        context.Out.WriteLine();
        context.Out.WriteLine(table);
        if (wroteJson) context.Out.WriteLine($"Wrote {json}");
        if (args.Flag("record"))
        {
            // The evaluation travels with the model: whoever loads the checkpoint sees how it was evaluated. The metadata is
            // read again now, so that entries another command wrote during this (long) run are kept.
            var current = Checkpoint.ReadInfo(path);
            var extra = new Dictionary<string, string>(current.Extra ?? new Dictionary<string, string>());
            // A custom subset is recorded apart from the standard result, so neither overwrites the other.
            string prefix = subset is null ? "autoattack" : "autoattack-" + string.Join('+', autoAttack.AttacksToRun);
            foreach (var (key, value) in AutoAttackExtra(report, data.Name, json, prefix)) extra[key] = value;
            Checkpoint.Save(model, path, current with { Extra = extra });
            context.Out.WriteLine($"Recorded the result in {path} (metadata keys {prefix}.*)");
        }
        if (args.Value("markdown") is { } markdown)
        {
            AtomicFile.WriteAllText(markdown, table + "\n");
            context.Out.WriteLine($"Wrote {markdown}");
        }
        model.Dispose();
        return ExitCodes.Ok;
    }

    /// <summary>The checkpoint metadata entries of an AutoAttack result.</summary>
    private static IEnumerable<(string Key, string Value)> AutoAttackExtra(WorstCaseReport report, string images, string? json, string prefix)
    {
        var c = CultureInfo.InvariantCulture;
        foreach (var (key, value) in Entries()) yield return ($"{prefix}.{key}", value);

        IEnumerable<(string, string)> Entries()
        {
            yield return ("name", report.Name);
            yield return ("norm", report.Norm == Norm.LInf ? "linf" : "l2");
            yield return ("epsilon", report.Epsilon.ToString(c));
            yield return ("images", $"{images}: {report.Count}");
            yield return ("clean", report.CleanAccuracy.ToString("0.####", c));
            yield return ("robust", report.RobustAccuracy.ToString("0.####", c));
            yield return ("robustInterval", report.RobustInterval.ToString());
            yield return ("brokenPerAttack", string.Join("; ", report.Stages.Select(s => $"{s.Attack}: {s.Broken}")));
            if (json is not null) yield return ("file", Path.GetFileName(json));
        }
    }

    /// <summary>What a stored (possibly partial) evaluation covers: the data set's name, and how far a partial one got.</summary>
    private static string SelectionName(ImageDataset data, int evaluated) =>
        evaluated == data.Count ? data.Name : $"{data.Name}, first {evaluated} evaluated";

    /// <summary>Refuses to append to a stored evaluation of another model, budget, seed or image selection.</summary>
    private static void CheckResumable(string json, StoredEvaluation stored, string checkpoint, AutoAttack autoAttack, int seed, bool earlyExit,
                                       ImageDataset data, string? sameImagesName)
    {
        var r = stored.Report;
        var differences = new List<string>();
        if (stored.Checkpoint != checkpoint) differences.Add($"checkpoint {stored.Checkpoint}, not {checkpoint}");
        if (stored.Version != autoAttack.Version) differences.Add($"version {stored.Version}, not {autoAttack.Version}");
        if (stored.Seed != seed) differences.Add($"seed {stored.Seed}, not {seed}");
        if (r.Norm != autoAttack.Norm || r.Epsilon != autoAttack.Epsilon)
            differences.Add($"{r.Norm} ε = {r.Epsilon.ToString(CultureInfo.InvariantCulture)}, not {autoAttack.Norm} ε = {autoAttack.Epsilon.ToString(CultureInfo.InvariantCulture)}");
        if (r.EarlyExit != earlyExit) differences.Add(r.EarlyExit ? "early exit on" : "early exit off");
        if (r.Count > data.Count || (stored.Selection != SelectionName(data, r.Count) && stored.Selection != sameImagesName))
            differences.Add($"images '{stored.Selection}', not a start of '{data.Name}'");
        if (differences.Count > 0)
            throw new UsageException($"--resume: {json} holds another evaluation ({string.Join("; ", differences)}). " +
                                     "Give the same options as the run that wrote it, or another -o path to start afresh.");
    }

    private static string FirstImagesName(ImageDataset test, int count)
    {
        using var first = test.Take(count);
        return first.Name;
    }

    private static string CheckpointPath(ParsedArgs args) =>
        args.Value("model") ?? args.Value("checkpoint") ?? ShippedModels.PathOf(ShippedModels.BaselineFile);

    private static string? JsonPath(ParsedArgs args) => args.Value("output") ?? args.Value("json");

    /// <summary>--subset N: N random images (seeded); --images N: the first N; neither: all.</summary>
    private static ImageDataset SelectImages(ParsedArgs args, ImageDataset test, int seed)
    {
        if (args.Value("subset") is { } n)
        {
            int count = ParseInt(n, "--subset", 1);
            return count < test.Count ? test.Subset(count, seed) : test.Take(test.Count);
        }
        int first = args.Value("images") is { } m ? ParseInt(m, "--images", 1) : test.Count;
        return test.Take(Math.Min(first, test.Count));
    }

    /// <summary>A Markdown table: one row per ε, one column per attack.</summary>
    private static string Table(string[] attacks, double[] epsilons, List<AttackReport> reports, int images)
    {
        var text = new StringBuilder();
        text.Append("| ε | clean | ").Append(string.Join(" | ", attacks.Select(Label))).AppendLine(" |");
        text.Append("|---|---|").Append(string.Concat(attacks.Select(_ => "---|"))).AppendLine();
        for (int e = 0; e < epsilons.Length; e++)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {epsilons[e]:0.###} | {reports[e].CleanAccuracy:P2} |");
            for (int a = 0; a < attacks.Length; a++)
                text.Append(CultureInfo.InvariantCulture, $" {reports[a * epsilons.Length + e].RobustAccuracy:P2} |");
            text.AppendLine();
        }
        text.Append(CultureInfo.InvariantCulture, $"\nAccuracy on {images} test images; seconds per attack: ")
            .Append(string.Join(", ", attacks.Select((a, i) => $"{Label(a)} {reports.Skip(i * epsilons.Length).Take(epsilons.Length).Sum(r => r.Seconds):F0}")));
        return text.ToString();
    }

    private static string Label(string attack) =>
        TryParseAttack(attack, out int steps, out int restarts) && steps > 0 ? $"PGD-{steps}{(restarts > 1 ? $"×{restarts}" : "")}" : "FGSM";

    private static Attack Create(string attack, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, double eps, int seed)
    {
        TryParseAttack(attack, out int steps, out int restarts);
        return steps == 0 ? new Fgsm(model, eps) : new Pgd(model, eps, steps: steps, restarts: restarts, seed: seed);
    }

    /// <summary>"fgsm" → steps 0; "pgd20" → 20 steps; "pgd20x5" → 20 steps, 5 restarts.</summary>
    private static bool TryParseAttack(string name, out int steps, out int restarts)
    {
        steps = 0;
        restarts = 1;
        if (name == "fgsm") return true;
        if (!name.StartsWith("pgd", StringComparison.Ordinal)) return false;
        string[] parts = name[3..].Split('x');
        return parts.Length is 1 or 2 && int.TryParse(parts[0], out steps) && steps > 0
               && (parts.Length == 1 || int.TryParse(parts[1], out restarts) && restarts > 0);
    }

    private static string[] ParseList(string value, string option, Func<string, bool> valid)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new UsageException($"{option} needs at least one value");
        return items.Select(s => valid(s) ? s : throw new UsageException($"{option}: '{s}' is not valid")).ToArray();
    }

    private static int ParseInt(string value, string option, int minimum) =>
        int.TryParse(value, out int v) && v >= minimum ? v : throw new UsageException($"{option} takes a whole number ≥ {minimum}, not '{value}'");
}
