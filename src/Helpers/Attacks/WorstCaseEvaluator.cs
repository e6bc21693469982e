using System.Diagnostics;
using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>
/// Runs several attacks over a data set and counts robustness per point: a point is robust only if every attack fails
/// on it (<see cref="WorstCaseReport"/>). With early exit (the default, as in AutoAttack) each attack runs only on the
/// points that are classified correctly and that no earlier attack broke: the same per-point outcome as running every
/// attack on every point — the rows' ids go to <see cref="Attack.Run(Tensor, Tensor, IReadOnlyList{long})"/>, so seeded
/// attacks draw the same random numbers per point either way — for much less work once the first attacks have broken
/// most points.
/// </summary>
public static class WorstCaseEvaluator
{
    /// <summary>
    /// Evaluates <paramref name="model"/> on <paramref name="data"/> against <paramref name="attacks"/> in order.
    /// </summary>
    /// <param name="model">The classifier; every attack must be built on it.</param>
    /// <param name="data">The points.</param>
    /// <param name="attacks">The attacks, in the order they are tried.</param>
    /// <param name="norm">Threat model of the budget <paramref name="epsilon"/>.</param>
    /// <param name="epsilon">The budget: an attack that returns a larger perturbation is a bug and raises an error.</param>
    /// <param name="device">Where to compute.</param>
    /// <param name="batchSize">Points per batch.</param>
    /// <param name="earlyExit">Attack only the points not broken yet (true), or every point with every attack (false, for comparison).</param>
    /// <param name="name">Name in the report.</param>
    /// <param name="log">Progress (default: none).</param>
    /// <param name="firstId">
    /// Id of <paramref name="data"/>'s first point (the others follow): seeded attacks draw their random numbers per id, so
    /// a data set evaluated in consecutive parts, each with its offset, gives the same per-point results as in one run
    /// (<see cref="WorstCaseReport.Combine"/> joins the parts).
    /// </param>
    public static WorstCaseReport Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<Attack> attacks, Norm norm,
                                           double epsilon, Device? device = null, int batchSize = 500, bool earlyExit = true,
                                           string name = "worst case", TextWriter? log = null, long firstId = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(attacks);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1.");
        ArgumentOutOfRangeException.ThrowIfNegative(firstId);
        Guard.Epsilon(epsilon);
        foreach (var attack in attacks)
            if (!ReferenceEquals(attack.Model, model))
                throw new ArgumentException($"The attack {attack.Name} was built for another model than the one evaluated.", nameof(attacks));
        device ??= CPU;
        log ??= TextWriter.Null;
        var total = Stopwatch.StartNew();
        int k = attacks.Count;
        var brokenBy = new int[data.Count];
        var attacked = new int[k];
        var broken = new int[k];
        var ownCorrect = new long[k];
        var seconds = new double[k];
        int cleanCorrect = 0, offset = 0;
        using var progress = Runtime.Progress.Start(name, data.Count, "image");

        foreach (var batch in new DataLoader(data, batchSize, device))
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            using (batch)
            {
                int n = (int)batch.Count;
                var ids = Enumerable.Range(offset, n).Select(i => firstId + i).ToArray();
                bool[] correct;
                using (no_grad()) correct = ToBools(Predict(model, batch.Images).eq(batch.Labels));
                for (int i = 0; i < n; i++) brokenBy[offset + i] = correct[i] ? WorstCaseReport.Robust : WorstCaseReport.Misclassified;
                cleanCorrect += correct.Count(b => b);

                for (int a = 0; a < k; a++)
                {
                    // Early exit: only correctly classified points that no earlier attack broke.
                    var rows = Enumerable.Range(0, n).Where(i => !earlyExit || brokenBy[offset + i] == WorstCaseReport.Robust).ToArray();
                    if (rows.Length == 0) continue;
                    var clock = Stopwatch.StartNew();
                    using var attackScope = NewDisposeScope();
                    var index = tensor(rows.Select(i => (long)i).ToArray(), device: device);
                    var images = batch.Images.index_select(0, index);
                    var labels = batch.Labels.index_select(0, index);
                    var adversarial = attacks[a].Run(images, labels, rows.Select(i => ids[i]).ToArray());
                    CheckBudget(attacks[a], images, adversarial, norm, epsilon);
                    bool[] stillCorrect;
                    using (no_grad()) stillCorrect = ToBools(Predict(model, adversarial).eq(labels));
                    seconds[a] += clock.Elapsed.TotalSeconds;
                    attacked[a] += rows.Length;
                    for (int j = 0; j < rows.Length; j++)
                    {
                        int point = offset + rows[j];
                        if (stillCorrect[j]) ownCorrect[a]++;
                        else if (brokenBy[point] == WorstCaseReport.Robust)
                        {
                            brokenBy[point] = a;
                            broken[a]++;
                        }
                    }
                    log.WriteLine($"  {attacks[a].Name}: {rows.Length} points attacked, robust so far {brokenBy.Take(offset + n).Count(b => b == WorstCaseReport.Robust)}/{offset + n}");
                }
                offset += n;
                progress.Advance(n);
            }
        }

        var stages = new List<WorstCaseStage>();
        int robust = cleanCorrect;
        for (int a = 0; a < k; a++)
        {
            robust -= broken[a];
            stages.Add(new WorstCaseStage(attacks[a].Name, attacked[a], broken[a], robust, seconds[a],
                                          earlyExit || data.Count == 0 ? null : (double)ownCorrect[a] / data.Count));
        }
        var report = new WorstCaseReport(name, norm, epsilon, data.Count, cleanCorrect, stages, brokenBy, earlyExit, total.Elapsed.TotalSeconds);
        log.WriteLine($"{name}: clean {report.CleanAccuracy:P2}, robust {report.RobustAccuracy:P2} {report.RobustInterval} ({report.Seconds:F1} s)");
        return report;
    }

    private static Tensor Predict(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        bool wasTraining = model.training;
        model.eval();
        try { return model.forward(images).argmax(1); }
        finally { model.train(wasTraining); }
    }

    /// <summary>An adversarial example outside the budget is no evidence against robustness at that budget: refuse it loudly.</summary>
    private static void CheckBudget(Attack attack, Tensor images, Tensor adversarial, Norm norm, double epsilon)
    {
        using var scope = NewDisposeScope();
        double largest = Perturbations.Norms(adversarial - images, norm).max().item<float>();
        if (largest > epsilon * (1 + 1e-4) + 1e-5)
            throw new InvalidOperationException(
                $"{attack.Name} returned a perturbation of size {largest:G4} in {norm}, above the evaluation budget ε = {epsilon:G4}: " +
                "build the attack with the same ε and norm as the evaluation.");
    }

    private static bool[] ToBools(Tensor mask) => mask.cpu().data<bool>().ToArray();
}
