using System.Globalization;
using System.Text;
using ModelSecurity.Data;
using ModelSecurity.Federated.Partitioning;
using ModelSecurity.Federated.Strategies;
using ModelSecurity.Models;
using static TorchSharp.torch;

namespace ModelSecurity.Federated;

/// <summary>One row of a <see cref="RoundsToTarget"/> comparison: a way of training on one data partition.</summary>
/// <param name="Setting">Name of the local-training setting, e.g. "FedAvg (E = 5, B = 10)".</param>
/// <param name="Partition">"IID" or e.g. "Dirichlet(α = 0.1)".</param>
/// <param name="Local">The clients' local training.</param>
/// <param name="LocalStepsPerRound">u = E · ⌈n_k / B⌉ for the mean client size (E for full batches).</param>
/// <param name="Rounds">First round whose global model reached the target accuracy; null when none did.</param>
/// <param name="History">Every round that was run (the run stops at the target or at the round limit).</param>
public sealed record RoundsToTargetRow(string Setting, string Partition, LocalTraining Local, double LocalStepsPerRound, int? Rounds,
                                       FederatedHistory History)
{
    /// <summary>Best test accuracy of the rounds run.</summary>
    public double BestAccuracy => History.BestRound?.TestAccuracy ?? double.NaN;

    /// <summary>"12", or "> 300" when the target was not reached within the rounds run.</summary>
    public string RoundsText => Rounds?.ToString(CultureInfo.InvariantCulture) ?? $"> {History.Rounds.Count}";
}

/// <summary>
/// The comparison of McMahan et al. (AISTATS 2017, Table 2): communication rounds each way of training needs to reach
/// a target test accuracy, on IID clients and on non-IID clients (here Dirichlet over labels), all from the same initial
/// weights, with the same client sampling, and a run stops as soon as it reaches the target.
/// </summary>
public static class RoundsToTarget
{
    /// <summary>Runs <paramref name="server"/> until its global model reaches <paramref name="target"/> test accuracy or its round limit.</summary>
    /// <returns>The first round at or above the target (null: not reached), and the history of the rounds run.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The target is outside (0, 1].</exception>
    public static (int? Rounds, FederatedHistory History) Run(FederatedServer server, double target)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!(target > 0 && target <= 1))
            throw new ArgumentOutOfRangeException(nameof(target), target, "The target accuracy must be in (0, 1], e.g. 0.8.");
        using var progress = Runtime.Progress.Start($"federated training to {target:P0}", server.Options.Rounds, "round");
        progress.Report(server.Round);
        while (server.Round < server.Options.Rounds)
        {
            var metrics = server.RunRound();
            if (metrics.TestAccuracy is { } accuracy) progress.Metric("test acc", accuracy, "P1");
            progress.Report(metrics.Round);
            if (metrics.TestAccuracy >= target) return (metrics.Round, server.History);
        }
        return (null, server.History);
    }

    /// <summary>
    /// Runs every setting on an IID split and on a Dirichlet(α) split of <paramref name="train"/> among
    /// <paramref name="clients"/> clients with FedAvg aggregation, evaluating on <paramref name="test"/> after every round.
    /// </summary>
    /// <param name="architecture">Model architecture (<see cref="ModelZoo"/>), created once with <paramref name="seed"/>: every run starts from the same weights.</param>
    /// <param name="train">Training data, split among the clients.</param>
    /// <param name="test">Evaluated after every round.</param>
    /// <param name="settings">Named local-training settings, e.g. FedSGD and FedAvg with several (E, B).</param>
    /// <param name="clients">Number of clients N.</param>
    /// <param name="clientFraction">C: fraction of clients per round.</param>
    /// <param name="alpha">Dirichlet concentration of the non-IID split.</param>
    /// <param name="target">Target test accuracy.</param>
    /// <param name="maxRounds">Round limit of every run.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="seed">Seed of the initial weights, the splits, the client sampling and the local shuffling.</param>
    /// <param name="log">One line per finished run (null: nowhere).</param>
    public static IReadOnlyList<RoundsToTargetRow> Compare(string architecture, ImageDataset train, ImageDataset test,
        IReadOnlyList<(string Name, LocalTraining Local)> settings, int clients, double clientFraction, double alpha, double target,
        int maxRounds, Device device, int seed = 0, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Count == 0) throw new ArgumentException("Give at least one local-training setting.", nameof(settings));
        if (maxRounds < 1) throw new ArgumentOutOfRangeException(nameof(maxRounds), maxRounds, "The round limit must be at least 1.");
        Training.Reproducibility.Seed(seed);
        float[] initial;
        using (var init = ModelZoo.Create(architecture, train.NumClasses)) initial = ModelWeights.Get(init);

        var rows = new List<RoundsToTargetRow>();
        var partitions = new[]
        {
            ("IID", Partitioner.Iid(train, clients, seed)),
            (string.Create(CultureInfo.InvariantCulture, $"Dirichlet(α = {alpha:G3})"), Partitioner.Dirichlet(train, clients, alpha, seed)),
        };
        using var progress = Runtime.Progress.Start("rounds to target", partitions.Length * settings.Count, "run");
        foreach (var (partitionName, partition) in partitions)
        {
            using var federatedClients = FederatedClients.Create(train, partition);
            double meanSize = (double)train.Count / clients;
            foreach (var (name, local) in settings)
            {
                using var model = ModelZoo.Create(architecture, train.NumClasses);
                ModelWeights.Set(model, initial);
                var options = new FederatedOptions { Rounds = maxRounds, ClientFraction = clientFraction, Local = local, Seed = seed };
                var server = new FederatedServer(model, federatedClients, new FedAvg(), options, device, test);
                var (reached, history) = Run(server, target);
                double steps = local.Epochs * (local.BatchSize is { } b ? Math.Ceiling(meanSize / b) : 1);
                var row = new RoundsToTargetRow(name, partitionName, local, steps, reached, history);
                rows.Add(row);
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{partitionName,-20} {name,-26} rounds to {target:P0}: {row.RoundsText,6}   best {row.BestAccuracy:P1}   {history.TotalSeconds,6:F0} s"));
                progress.Advance();
            }
        }
        return rows;
    }

    /// <summary>
    /// A Markdown table: one row per setting, for each partition the rounds to the target and the speed-up over the
    /// first setting (the reference, e.g. FedSGD) on the same partition — "≥ x" when the reference did not reach it.
    /// </summary>
    public static string ToMarkdown(IReadOnlyList<RoundsToTargetRow> rows, double target)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var c = CultureInfo.InvariantCulture;
        var partitions = rows.Select(r => r.Partition).Distinct().ToList();
        var settings = rows.Select(r => r.Setting).Distinct().ToList();
        var text = new StringBuilder();
        text.Append("| setting | u (local steps per round) |");
        foreach (string p in partitions) text.Append(c, $" {p}: rounds to {target:P0} | speed-up | best accuracy |");
        text.AppendLine();
        text.Append("|---|---|");
        foreach (string _ in partitions) text.Append("---|---|---|");
        text.AppendLine();
        foreach (string setting in settings)
        {
            var first = rows.First(r => r.Setting == setting);
            text.Append(c, $"| {setting} | {first.LocalStepsPerRound:F0} |");
            foreach (string p in partitions)
            {
                var row = rows.FirstOrDefault(r => r.Setting == setting && r.Partition == p);
                var reference = rows.First(r => r.Partition == p);
                if (row is null) { text.Append(" | | |"); continue; }
                text.Append(c, $" {row.RoundsText} | {SpeedUp(reference, row)} | {row.BestAccuracy:P1} |");
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string SpeedUp(RoundsToTargetRow reference, RoundsToTargetRow row)
    {
        var c = CultureInfo.InvariantCulture;
        if (ReferenceEquals(reference, row)) return "1×";
        if (row.Rounds is not { } rounds) return "—";
        return reference.Rounds is { } baseline
            ? string.Create(c, $"{(double)baseline / rounds:F1}×")
            : string.Create(c, $"≥ {(double)reference.History.Rounds.Count / rounds:F1}×");
    }
}
