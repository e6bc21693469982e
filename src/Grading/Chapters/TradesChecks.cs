using ModelSecurity.Defenses;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>04-trades</c> (notebooks/04-trades.ipynb):
/// <c>trades-loss</c> (<c>Tensor TradesLoss(Tensor cleanLogits, Tensor adversarialLogits, Tensor labels, double beta)</c>:
/// CE(f(x), y) + β·KL(f(x) ‖ f(x′)), KL summed over classes and averaged over the batch), compared with
/// <see cref="TradesKlAttack.KlDivergence"/> on random logits, gradients included; and <c>robust-error-parts</c>
/// (<c>(double Natural, double Boundary) RobustErrorParts(Tensor cleanPredictions, Tensor adversarialPredictions, Tensor labels)</c>:
/// the decomposition of robust error into natural and boundary error), on hand-made predictions; and the judgement exercise
/// <c>pick-beta</c> (<c>double PickBeta(double[] betas, int[] cleanCorrect, int[] robustCorrect, int count, double cleanTarget)</c>:
/// the β of a measured sweep that meets a clean-accuracy target with 95 % confidence and has the best robust accuracy),
/// on fixed sweeps and on a fresh random one.
/// </summary>
internal static class TradesChecks
{
    private const string Set = "04-trades";

    /// <summary>
    /// Runs the learner's <c>TradesLoss</c> where it is defined and returns its value and its gradients with respect to
    /// both logit tensors: <c>[loss]</c> when the loss carries no gradient (or is not a scalar), else
    /// <c>[loss, d/dclean, d/dadversarial]</c> with an empty tensor for a gradient that autograd found unused. Computed
    /// next to the learner's code because an autograd graph cannot travel between the grader and a submission: only the
    /// numbers come back.
    /// </summary>
    private const string LossAndGradients = """
        (System.Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, double, TorchSharp.torch.Tensor[]>)((clean, adversarial, labels, beta) =>
        {
            using var gradients = TorchSharp.torch.enable_grad();
            var c = clean.detach().clone().requires_grad_(true);
            var a = adversarial.detach().clone().requires_grad_(true);
            var loss = TradesLoss(c, a, labels, beta);
            if (loss is null || loss.IsInvalid) return System.Array.Empty<TorchSharp.torch.Tensor>();
            if (loss.numel() != 1 || !loss.requires_grad) return new[] { loss.detach() };
            var g = TorchSharp.torch.autograd.grad(new[] { loss.reshape(System.Array.Empty<long>()) }, new[] { c, a }, allow_unused: true);
            TorchSharp.torch.Tensor Found(TorchSharp.torch.Tensor? t) => t is null || t.IsInvalid ? TorchSharp.torch.empty(0) : t.detach();
            return new[] { loss.detach(), Found(g[0]), Found(g[1]) };
        })
        """;

    [ExerciseCheck(Set, "trades-loss")]
    private static CheckResult TradesLoss(IExerciseContext ctx)
    {
        // Fails with the learner's own words first when TradesLoss is missing or has another signature.
        ctx.Evaluate<Func<Tensor, Tensor, Tensor, double, Tensor>>("TradesLoss");
        var lossAndGradients = ctx.Evaluate<Func<Tensor, Tensor, Tensor, double, Tensor[]>>(LossAndGradients);
        using var scope = NewDisposeScope();
        var (fixedClean, fixedAdversarial, fixedLabels) = Logits(new Generator(11));
        var cases = new[] { 6.0, 1.0, 0.0 }.Select(beta => (Clean: fixedClean, Adversarial: fixedAdversarial, Labels: fixedLabels, Beta: beta, What: "")).ToList();
        // Fresh last: random logits and a random β, which the submission cannot predict.
        var (randomClean, randomAdversarial, randomLabels) = Logits(new Generator(FreshInputs.NewSeed()));
        cases.Add((randomClean, randomAdversarial, randomLabels, Between(FreshInputs.NewRandom(), 0.5, 10), "random "));
        foreach (var (clean, adversarial, labels, beta, what) in cases)
        {
            string call = $"TradesLoss(16 {what}clean logit rows, 16 {what}adversarial logit rows, labels, β = {F(beta)})";
            var result = lossAndGradients(clean.clone(), adversarial.clone(), labels.clone(), beta);
            if (result is null || result.Length == 0) return CheckResult.Fail($"{call} returned no tensor; return the loss as a scalar tensor.");
            var got = result[0];
            if (got.numel() != 1)
                return CheckResult.Fail($"{call} returned a tensor shaped ({string.Join(", ", got.shape)}); return one number (a scalar): average over the batch.");
            if (result.Length < 3)
                return CheckResult.Fail($"{call} returned a loss without gradients: build it from the logits with tensor operations (no .item(), no detach()), so that training can backpropagate through it.");
            double value = got.item<float>();
            var (naturalPart, klPart) = Terms(clean, adversarial, labels);
            double expected = naturalPart + beta * klPart;
            if (Math.Abs(value - expected) > 1e-4 * Math.Max(1, Math.Abs(expected)))
                return CheckResult.Fail($"{call} = {F(value)}; expected {F(expected)} (cross-entropy {F(naturalPart)} + β × KL {F(klPart)}). " +
                                        $"Hint: {Hint(value, beta, clean, adversarial, labels)}.");
            var expectedGrad = ExpectedGradient(clean, adversarial, labels, beta);
            for (int k = 0; k < 2; k++)
            {
                var g = result[k + 1];
                bool unused = g.numel() == 0;
                string which = k == 0 ? "clean" : "adversarial";
                if (beta > 0 && unused)
                    return CheckResult.Fail($"{call}: the loss does not depend on the {which} logits through autograd; build both terms from the logits you are given.");
                if (unused) continue;
                if (!g.shape.SequenceEqual(expectedGrad[k].shape))
                    return CheckResult.Fail($"{call}: the gradient with respect to the {which} logits has the wrong shape; use the logits as they are given.");
                double gradDifference = (g - expectedGrad[k]).abs().max().item<float>();
                if (gradDifference > 1e-4)
                    return CheckResult.Fail($"{call}: the gradient with respect to the {which} logits differs from the expected one by up to {F(gradDifference)}; " +
                                            "the value is right, so some part of the computation is detached (e.g. built from .data<float>() or detach()).");
            }
        }
        return CheckResult.Pass("TradesLoss = CE(f(x), y) + β·KL(f(x) ‖ f(x′)) (batch mean), with the right value and gradients for β = 6, 1 and 0 and for random logits at a random β");
    }

    /// <summary>16 rows of clean logits, adversarial logits near them and labels, drawn from <paramref name="generator"/>.</summary>
    private static (Tensor Clean, Tensor Adversarial, Tensor Labels) Logits(Generator generator)
    {
        var clean = randn(new long[] { 16, 10 }, generator: generator) * 3;
        var adversarial = clean + randn(new long[] { 16, 10 }, generator: generator) * 2;
        return (clean, adversarial, randint(0, 10, new long[] { 16 }, generator: generator));
    }

    private static (double Natural, double Kl) Terms(Tensor clean, Tensor adversarial, Tensor labels)
    {
        using var noGrad = no_grad();
        return (nn.functional.cross_entropy(clean, labels).item<float>(), TradesKlAttack.KlDivergence(clean, adversarial).mean().item<float>());
    }

    private static Tensor[] ExpectedGradient(Tensor clean, Tensor adversarial, Tensor labels, double beta)
    {
        using var gradients = enable_grad();
        var (c, a) = (clean.clone().requires_grad_(true), adversarial.clone().requires_grad_(true));
        var total = nn.functional.cross_entropy(c, labels) + beta * TradesKlAttack.KlDivergence(c, a).mean();
        var g = autograd.grad(new[] { total }, new[] { c, a });
        return [g[0].detach(), g[1].detach()];
    }

    /// <summary>Which common mistake gives <paramref name="value"/>.</summary>
    private static string Hint(double value, double beta, Tensor clean, Tensor adversarial, Tensor labels)
    {
        using var noGrad = no_grad();
        double ce = nn.functional.cross_entropy(clean, labels).item<float>();
        double kl = TradesKlAttack.KlDivergence(clean, adversarial).mean().item<float>();
        double reversed = TradesKlAttack.KlDivergence(adversarial, clean).mean().item<float>();
        double adversarialCe = nn.functional.cross_entropy(adversarial, labels).item<float>();
        bool Near(double x) => Math.Abs(value - x) <= 1e-4 * Math.Max(1, Math.Abs(x));
        if (Near(ce + beta * reversed))
            return "the KL is the wrong way round: TRADES uses KL(f(x) ‖ f(x′)) = Σ p·(log p − log q) with p from the CLEAN logits and q from the adversarial ones";
        if (Near(ce + beta * kl / 10))
            return "the KL is averaged over the classes too; sum it over the 10 classes and average only over the batch";
        if (Near(ce + beta * kl * 16))
            return "the KL is summed over the batch; average it over the 16 examples (\"batchmean\")";
        if (Near(ce + kl))
            return "multiply the KL term by β";
        if (Near(adversarialCe + beta * kl))
            return "the natural term is the cross-entropy of the CLEAN logits, CE(f(x), y)";
        return "CE: nn.functional.cross_entropy(cleanLogits, labels); KL: with logP = cleanLogits.log_softmax(1) and logQ = adversarialLogits.log_softmax(1), " +
               "(logP.exp() * (logP - logQ)).sum(1).mean()";
    }

    [ExerciseCheck(Set, "robust-error-parts")]
    private static CheckResult RobustErrorParts(IExerciseContext ctx)
    {
        var parts = ctx.Evaluate<Func<Tensor, Tensor, Tensor, (double Natural, double Boundary)>>("RobustErrorParts");
        using var scope = NewDisposeScope();
        // Ten examples covering every case: clean right and attack failed (0, 1, 2), clean right but attack succeeded (3, 4, 5),
        // clean wrong and adversarial also wrong (6, 7), clean wrong but adversarial right by accident (8),
        // clean wrong and the attack moved it to yet another wrong class (9).
        var labels = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        var clean = tensor(new long[] { 0, 1, 2, 3, 4, 5, 0, 0, 0, 0 });
        var adversarial = tensor(new long[] { 0, 1, 2, 9, 9, 0, 0, 1, 8, 3 });
        const double natural = 0.4, boundary = 0.3;
        var (got, expectedMessage) = (parts(clean.clone(), adversarial.clone(), labels.clone()), $"(Natural {F(natural)}, Boundary {F(boundary)})");
        string call = "RobustErrorParts on 10 examples (4 misclassified without attack, 3 more flipped by it)";
        if (Math.Abs(got.Natural - natural) > 1e-9 || Math.Abs(got.Boundary - boundary) > 1e-9)
        {
            string hint =
                Math.Abs(got.Natural - 0.6) < 1e-9 ? "the natural error counts clean mistakes only, mean(clean ≠ labels)" :
                Math.Abs(got.Boundary - 0.6) < 1e-9 || Math.Abs(got.Boundary - 0.5) < 1e-9 || Math.Abs(got.Boundary - 0.4) < 1e-9
                    ? "the boundary error counts only examples the model gets RIGHT without attack and that the attack flips: mean(clean == labels & adversarial ≠ clean)"
                    : Math.Abs(got.Natural + got.Boundary - 0.7) < 1e-9 ? "the sum is right but the split is not: natural = mean(clean ≠ labels), boundary = mean(clean == labels & adversarial ≠ clean)"
                    : "both are fractions of ALL examples: natural = mean(clean ≠ labels), boundary = mean(clean == labels & adversarial ≠ clean)";
            return CheckResult.Fail($"{call} returned (Natural {F(got.Natural)}, Boundary {F(got.Boundary)}); expected {expectedMessage}. Hint: {hint}.");
        }
        var all = parts(labels.clone(), labels.clone(), labels.clone());
        if (all.Natural != 0 || all.Boundary != 0)
            return CheckResult.Fail($"With every prediction right and no attack success, RobustErrorParts returned (Natural {F(all.Natural)}, Boundary {F(all.Boundary)}); expected (0, 0).");

        // Fresh last: random predictions the submission cannot predict.
        var random = FreshInputs.NewRandom();
        const int n = 50;
        long[] randomLabels = Enumerable.Range(0, n).Select(_ => (long)random.Next(10)).ToArray();
        // About 70 % right without attack, and the attack flips about half of the predictions.
        long[] randomClean = randomLabels.Select(y => random.NextDouble() < 0.7 ? y : (y + random.Next(1, 10)) % 10).ToArray();
        long[] randomAdversarial = randomClean.Select(p => random.NextDouble() < 0.5 ? p : (p + random.Next(1, 10)) % 10).ToArray();
        double randomNatural = Enumerable.Range(0, n).Count(i => randomClean[i] != randomLabels[i]) / (double)n;
        double randomBoundary = Enumerable.Range(0, n).Count(i => randomClean[i] == randomLabels[i] && randomAdversarial[i] != randomClean[i]) / (double)n;
        var fresh = parts(tensor(randomClean), tensor(randomAdversarial), tensor(randomLabels));
        if (Math.Abs(fresh.Natural - randomNatural) > 1e-9 || Math.Abs(fresh.Boundary - randomBoundary) > 1e-9)
            return CheckResult.Fail($"RobustErrorParts on {n} random predictions (labels [{string.Join(", ", randomLabels)}], clean [{string.Join(", ", randomClean)}], " +
                                    $"adversarial [{string.Join(", ", randomAdversarial)}]) returned (Natural {F(fresh.Natural)}, Boundary {F(fresh.Boundary)}); " +
                                    $"expected (Natural {F(randomNatural)}, Boundary {F(randomBoundary)}): natural = mean(clean ≠ labels), boundary = mean(clean == labels & adversarial ≠ clean).");
        return CheckResult.Pass("RobustErrorParts splits robust error into natural error (0.4) and boundary error (0.3) on every case, gives (0, 0) for a perfect model and is right on random predictions");
    }

    /// <summary>
    /// The rule of exercise 4.3: among the β whose clean accuracy meets <paramref name="cleanTarget"/> with 95 % confidence
    /// (the lower end of its Wilson interval is at least the target), the one with the most robust points, the smaller β
    /// on a tie; NaN when none qualifies.
    /// </summary>
    internal static double ReferencePick(double[] betas, int[] cleanCorrect, int[] robustCorrect, int count, double cleanTarget)
    {
        double best = double.NaN;
        int bestRobust = -1;
        for (int i = 0; i < betas.Length; i++)
        {
            if (Statistics.Proportion.Wilson(cleanCorrect[i], count).Lower < cleanTarget) continue;
            if (robustCorrect[i] > bestRobust || (robustCorrect[i] == bestRobust && betas[i] < best))
                (best, bestRobust) = (betas[i], robustCorrect[i]);
        }
        return best;
    }

    /// <summary>The choice a learner makes who trusts point estimates (the weak answer exercise 4.3 must reject).</summary>
    private static double PointEstimatePick(double[] betas, int[] cleanCorrect, int[] robustCorrect, int count, double cleanTarget)
    {
        double best = double.NaN;
        int bestRobust = -1;
        for (int i = 0; i < betas.Length; i++)
            if (cleanCorrect[i] / (double)count >= cleanTarget && (robustCorrect[i] > bestRobust || (robustCorrect[i] == bestRobust && betas[i] < best)))
                (best, bestRobust) = (betas[i], robustCorrect[i]);
        return best;
    }

    /// <summary>A measured-looking sweep: clean accuracy falling and robust accuracy rising with β, with sampling noise.</summary>
    internal static (double[] Betas, int[] Clean, int[] Robust, int Count, double Target) RandomSweep(Random random)
    {
        double[] betas = [0, 0.5, 1, 2, 4, 8];
        int count = 200 * random.Next(2, 6);                       // 400 … 1000 validation images
        double cleanTop = Between(random, 0.82, 0.9), cleanDrop = Between(random, 0.03, 0.08);
        double robustBottom = Between(random, 0.1, 0.3), robustRise = Between(random, 0.2, 0.4);
        int[] clean = betas.Select((_, i) => Binomial(random, count, cleanTop - cleanDrop * i / 5.0)).ToArray();
        int[] robust = betas.Select((_, i) => Binomial(random, count, robustBottom + robustRise * Math.Sqrt(i / 5.0))).ToArray();
        // A target that a point estimate meets but its interval does not, for one of the middle β (so trusting point estimates fails).
        int k = random.Next(2, 5);
        double target = Math.Round(clean[k] / (double)count - Between(random, 0.002, 0.012), 3);
        return (betas, clean, robust, count, target);
    }

    private static int Binomial(Random random, int n, double p)
    {
        int successes = 0;
        for (int i = 0; i < n; i++) if (random.NextDouble() < p) successes++;
        return successes;
    }

    [ExerciseCheck(Set, "pick-beta")]
    private static CheckResult PickBeta(IExerciseContext ctx)
    {
        var pick = ctx.Evaluate<Func<double[], int[], int[], int, double, double>>("PickBeta");
        var cases = new List<(double[] Betas, int[] Clean, int[] Robust, int Count, double Target, string What)>
        {
            // The chapter's kind of sweep on 500 validation images: β = 3 meets 80 % only as a point estimate (80.4 %, Wilson lower end 76.7 %).
            ([0, 0.3, 1, 3, 6, 12], [436, 431, 424, 402, 396, 391], [117, 201, 241, 266, 269, 274], 500, 0.80, "a sweep of 6 β on 500 validation images"),
            // The best robust accuracy is at the largest β, which misses the target: the answer is an interior β.
            ([0, 1, 2, 4], [880, 872, 861, 812], [300, 420, 431, 560], 1000, 0.84, "a sweep of 4 β on 1000 validation images"),
            // A tie in robust points between two β that both qualify: the smaller β.
            ([0, 1, 2, 4], [880, 872, 861, 812], [431, 431, 445, 560], 1000, 0.84, "a sweep with a tie"),
            // No β meets the target with confidence.
            ([0, 1, 6], [460, 452, 440], [100, 200, 260], 500, 0.92, "a sweep where no β meets the target"),
        };
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var fresh = RandomSweep(FreshInputs.NewRandom());
            double right = ReferencePick(fresh.Betas, fresh.Clean, fresh.Robust, fresh.Count, fresh.Target);
            double naive = PointEstimatePick(fresh.Betas, fresh.Clean, fresh.Robust, fresh.Count, fresh.Target);
            if (right.Equals(naive)) continue;
            cases.Add((fresh.Betas, fresh.Clean, fresh.Robust, fresh.Count, fresh.Target, "a random sweep"));
            break;
        }
        foreach (var (betas, clean, robust, count, target, what) in cases)
        {
            double expected = ReferencePick(betas, clean, robust, count, target);
            double got = pick(betas.ToArray(), clean.ToArray(), robust.ToArray(), count, target);
            if (got.Equals(expected) || (double.IsNaN(got) && double.IsNaN(expected))) continue;
            string table = string.Join("; ", betas.Select((b, i) =>
                $"β {F(b)}: clean {P(clean[i] / (double)count)} {Statistics.Proportion.Wilson(clean[i], count)}, robust {P(robust[i] / (double)count)}"));
            string call = $"PickBeta on {what} (target {P(target)} clean; {table})";
            string hint;
            if (double.IsNaN(expected))
                hint = "no β meets the target with 95 % confidence (every Wilson interval's lower end is below it): return double.NaN rather than a β that may miss the target";
            else if (!double.IsNaN(got) && Array.IndexOf(betas, got) is var at and >= 0 && Statistics.Proportion.Wilson(clean[at], count).Lower < target)
                hint = clean[at] / (double)count >= target
                    ? $"β = {F(got)} meets the target only as a point estimate: its Wilson interval reaches below {P(target)}, so on new data it may well miss it. Require the interval's lower end to reach the target"
                    : $"β = {F(got)} does not meet the clean-accuracy target";
            else if (double.IsNaN(got))
                hint = $"β = {F(expected)} meets the target with confidence; return it";
            else
                hint = "among the β that meet the target with confidence, take the one with the most robust points (the smaller β on a tie)";
            return CheckResult.Fail($"{call} returned {F(got)}; expected {F(expected)}. Hint: {hint}.");
        }
        return CheckResult.Pass("PickBeta chooses the most robust β among those whose clean accuracy meets the target with 95 % confidence (Wilson lower end), " +
                                "on four fixed sweeps (an interior choice, a tie, none qualifying) and a fresh random sweep");
    }
}
