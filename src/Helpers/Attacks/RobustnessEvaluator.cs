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
                var adversarial = attack.Run(batch.Images, batch.Labels);
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
    /// Robust accuracy as a function of ε: one report per budget, with the attack built by
    /// <paramref name="attackFor"/> (e.g. <c>eps =&gt; new Pgd(model, eps)</c>).
    /// </summary>
    public static IReadOnlyList<AttackReport> Sweep(nn.Module<Tensor, Tensor> model, ImageDataset data, IEnumerable<double> epsilons,
                                                    Func<double, Attack> attackFor, Device? device = null, int batchSize = 500,
                                                    TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(epsilons);
        ArgumentNullException.ThrowIfNull(attackFor);
        var budgets = epsilons.ToList();
        using var progress = Runtime.Progress.Start("ε sweep", budgets.Count, "budget");
        return budgets.Select(eps =>
        {
            var report = Evaluate(model, data, attackFor(Guard.Epsilon(eps)), device, batchSize, eps, log);
            progress.Advance();
            return report;
        }).ToList();
    }
}
