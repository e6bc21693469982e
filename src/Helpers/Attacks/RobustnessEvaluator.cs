using System.Diagnostics;
using ModelSecurity.Data;
using static TorchSharp.torch;

namespace ModelSecurity.Attacks;

/// <summary>Runs attacks over a dataset in batches and measures clean and robust accuracy and perturbation sizes.</summary>
public static class RobustnessEvaluator
{
    /// <summary>
    /// Attacks every example of <paramref name="data"/> (untargeted) and reports accuracies and norms.
    /// Live progress goes to <see cref="Runtime.Progress"/>; the report's line to <paramref name="log"/> (default: the
    /// console; <see cref="TextWriter.Null"/> for none).
    /// </summary>
    public static AttackReport Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, Attack attack, Device? device = null,
                                        int batchSize = 500, double? epsilon = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(attack);
        if (!ReferenceEquals(model, attack.Model))
            throw new ArgumentException($"The attack {attack.Name} was built for another model than the one evaluated " +
                                        "(to attack one model with examples crafted on another, use EvaluateTransfer).");
        return Run(model, data, attack, attack.Name, device, batchSize, epsilon, log);
    }

    /// <summary>
    /// A transfer (black-box) attack: crafts adversarial examples with <paramref name="surrogateAttack"/> on its own model
    /// (the surrogate) and reports how <paramref name="target"/> classifies them.
    /// </summary>
    public static AttackReport EvaluateTransfer(nn.Module<Tensor, Tensor> target, ImageDataset data, Attack surrogateAttack,
                                                Device? device = null, int batchSize = 500, double? epsilon = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(surrogateAttack);
        return Run(target, data, surrogateAttack, $"{surrogateAttack.Name} transferred", device, batchSize, epsilon, log);
    }

    private static AttackReport Run(nn.Module<Tensor, Tensor> model, ImageDataset data, Attack attack, string name, Device? device,
                                    int batchSize, double? epsilon, TextWriter? log)
    {
        device ??= CPU;
        log ??= Console.Out;
        var clock = Stopwatch.StartNew();
        long clean = 0, robust = 0, flipped = 0, done = 0;
        double sumL2 = 0, sumLInf = 0, maxL2 = 0, maxLInf = 0;
        var loader = new DataLoader(data, batchSize, device);
        using var progress = Runtime.Progress.Start(name, data.Count, "image");
        foreach (var batch in loader)
        {
            Runtime.Interruption.ThrowIfRequested();
            using var scope = NewDisposeScope();
            using (batch)
            {
                // Rows are identified by their index in the data set, so seeded attacks give each point the same result
                // here as in an early-exit evaluation that attacks it in another batch (see WorstCaseEvaluator).
                var ids = Enumerable.Range((int)done, (int)batch.Count).Select(i => (long)i).ToArray();
                var adversarial = attack.Run(batch.Images, batch.Labels, ids);
                using var noGrad = no_grad();
                var cleanCorrect = model.forward(batch.Images).argmax(1).eq(batch.Labels);
                var robustCorrect = model.forward(adversarial).argmax(1).eq(batch.Labels);
                var success = cleanCorrect & ~robustCorrect;
                var delta = adversarial - batch.Images;
                var l2 = Perturbations.Norms(delta, Norm.L2);
                var lInf = Perturbations.Norms(delta, Norm.LInf);
                clean += cleanCorrect.sum().item<long>();
                robust += robustCorrect.sum().item<long>();
                flipped += success.sum().item<long>();
                sumL2 += (l2 * success).sum().item<float>();
                sumLInf += (lInf * success).sum().item<float>();
                maxL2 = Math.Max(maxL2, l2.max().item<float>());
                maxLInf = Math.Max(maxLInf, lInf.max().item<float>());
                done += batch.Count;
            }
            progress.Metric("robust acc", (double)robust / done, "P1").Report(done);
        }
        clock.Stop();
        var report = new AttackReport(name, epsilon, data.Count, (double)clean / data.Count, (double)robust / data.Count,
            clean == 0 ? 0 : (double)flipped / clean, flipped == 0 ? 0 : sumL2 / flipped, maxL2,
            flipped == 0 ? 0 : sumLInf / flipped, maxLInf, clock.Elapsed.TotalSeconds);
        log.WriteLine(report);
        return report;
    }

    /// <summary>
    /// Robust accuracy as a function of ε: one report per budget (in the order given), with the attack built by
    /// <paramref name="attackFor"/> (e.g. <c>eps =&gt; new Pgd(model, eps)</c>).
    /// </summary>
    /// <remarks>
    /// With <paramref name="nested"/> (the default) the budgets are attacked from the smallest up and each only on the
    /// points still robust: L∞ and L2 balls are nested, so an adversarial example found at ε₁ is one at every ε₂ &gt; ε₁
    /// and the point is recorded as broken without attacking it again. Each report then counts a point as robust at ε
    /// only if no attack at any ε' ≤ ε broke it — the per-point worst case, never above the separate evaluation at ε
    /// (it can be below it where the attack at ε₂ missed what the one at ε₁ found). Perturbation statistics of a point
    /// broken earlier are those of the example that broke it. <paramref name="nested"/> = false evaluates every ε on every point.
    /// </remarks>
    public static IReadOnlyList<AttackReport> Sweep(nn.Module<Tensor, Tensor> model, ImageDataset data, IEnumerable<double> epsilons,
                                                    Func<double, Attack> attackFor, Device? device = null, int batchSize = 500,
                                                    TextWriter? log = null, bool nested = true)
    {
        ArgumentNullException.ThrowIfNull(epsilons);
        ArgumentNullException.ThrowIfNull(attackFor);
        var budgets = epsilons.Select(e => Guard.Epsilon(e)).ToArray();
        using var progress = Runtime.Progress.Start("ε sweep", budgets.Length, "budget");
        if (!nested)
            return budgets.Select(eps =>
            {
                var report = Evaluate(model, data, attackFor(eps), device, batchSize, eps, log);
                progress.Advance();
                return report;
            }).ToList();
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        device ??= CPU;
        log ??= Console.Out;

        // Per point: correct without attack; broken at some smaller ε, with that example's norms.
        var correct = new bool[data.Count];
        var broken = new bool[data.Count];
        var l2 = new double[data.Count];
        var lInf = new double[data.Count];
        var clock = Stopwatch.StartNew();
        int offset = 0;
        foreach (var batch in new DataLoader(data, batchSize, device))
        {
            using var scope = NewDisposeScope();
            using (batch)
            using (no_grad())
            {
                var predicted = Predict(model, batch.Images).eq(batch.Labels).cpu().data<bool>().ToArray();
                predicted.CopyTo(correct, offset);
                offset += (int)batch.Count;
            }
        }
        double cleanSeconds = clock.Elapsed.TotalSeconds;
        int cleanCount = correct.Count(c => c);

        var reports = new AttackReport?[budgets.Length];
        foreach (int e in Enumerable.Range(0, budgets.Length).OrderBy(i => budgets[i]))
        {
            double eps = budgets[e];
            var attack = attackFor(eps);
            if (!ReferenceEquals(model, attack.Model))
                throw new ArgumentException($"The attack {attack.Name} was built for another model than the one evaluated.");
            clock.Restart();
            double maxL2 = 0, maxLInf = 0;
            offset = 0;
            using var inner = Runtime.Progress.Start(attack.Name, data.Count, "image");
            foreach (var batch in new DataLoader(data, batchSize, device))
            {
                Runtime.Interruption.ThrowIfRequested();
                using var scope = NewDisposeScope();
                using (batch)
                {
                    int n = (int)batch.Count;
                    var rows = Enumerable.Range(0, n).Where(i => correct[offset + i] && !broken[offset + i]).ToArray();
                    if (rows.Length > 0)
                    {
                        var index = tensor(rows.Select(i => (long)i).ToArray(), device: device);
                        var images = batch.Images.index_select(0, index);
                        var labels = batch.Labels.index_select(0, index);
                        var adversarial = attack.Run(images, labels, rows.Select(i => (long)(offset + i)).ToArray());
                        using var noGrad = no_grad();
                        var fooled = Predict(model, adversarial).ne(labels).cpu().data<bool>().ToArray();
                        var delta = adversarial - images;
                        var rowL2 = Perturbations.Norms(delta, Norm.L2).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
                        var rowLInf = Perturbations.Norms(delta, Norm.LInf).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
                        for (int j = 0; j < rows.Length; j++)
                        {
                            maxL2 = Math.Max(maxL2, rowL2[j]);
                            maxLInf = Math.Max(maxLInf, rowLInf[j]);
                            if (!fooled[j]) continue;
                            int point = offset + rows[j];
                            broken[point] = true;
                            l2[point] = rowL2[j];
                            lInf[point] = rowLInf[j];
                        }
                    }
                    offset += n;
                }
                // Robust so far among the points seen: correct and not broken at this or a smaller ε.
                int robustSoFar = Enumerable.Range(0, offset).Count(i => correct[i] && !broken[i]);
                inner.Metric("robust acc", (double)robustSoFar / offset, "P1").Report(offset);
            }
            var flipped = Enumerable.Range(0, data.Count).Where(i => broken[i]).ToArray();
            foreach (int i in flipped)
            {
                maxL2 = Math.Max(maxL2, l2[i]);
                maxLInf = Math.Max(maxLInf, lInf[i]);
            }
            int robust = cleanCount - flipped.Length;
            var report = new AttackReport(attack.Name, eps, data.Count, (double)cleanCount / Math.Max(1, data.Count),
                (double)robust / Math.Max(1, data.Count), cleanCount == 0 ? 0 : (double)flipped.Length / cleanCount,
                flipped.Length == 0 ? 0 : flipped.Average(i => l2[i]), maxL2, flipped.Length == 0 ? 0 : flipped.Average(i => lInf[i]), maxLInf,
                clock.Elapsed.TotalSeconds + (reports.All(r => r is null) ? cleanSeconds : 0));
            log.WriteLine(report);
            reports[e] = report;
            progress.Advance();
        }
        return reports.Select(r => r!).ToList();
    }

    private static Tensor Predict(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        bool wasTraining = model.training;
        model.eval();
        try { return model.forward(images).argmax(1); }
        finally { model.train(wasTraining); }
    }
}
