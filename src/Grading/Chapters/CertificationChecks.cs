using ModelSecurity.Attacks;
using ModelSecurity.Certification;
using ModelSecurity.Explanations;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>07-certified-robustness-and-black-box</c> (notebooks/07-certified-robustness-and-black-box.ipynb):
/// <c>certified-radius</c> (<c>double CertifiedRadius(long topCount, int samples, double alpha, double sigma)</c>: CERTIFY's
/// radius from the counts, 0 when abstaining), compared with <see cref="SmoothedClassifier.Radius"/> of
/// <see cref="ClopperPearson.LowerBound"/>; <c>integrated-gradients</c>
/// (<c>Tensor IntegratedGradientsRiemann(Func&lt;Tensor, Tensor&gt; score, Tensor x, Tensor baseline, int steps)</c>: the right
/// Riemann sum of the paper), compared with <see cref="IntegratedGradients"/> on the shipped baseline; and
/// <c>success-within</c> (<c>double[] SuccessWithin(long[] queries, bool[] succeeded, long[] budgets)</c>: the fraction of
/// examples fooled within each budget), compared with <see cref="QueryStatistics.SuccessRateWithin"/>; and the judgement
/// exercise <c>choose-sigma</c> (<c>double ChooseSigma(IReadOnlyDictionary&lt;double, (double Radius, bool Correct)[]&gt; certificates, double radius)</c>:
/// from certification results for several noise levels, the σ with the highest certified accuracy at the given L2 radius),
/// graded on fresh random results the grader builds so that the usual misreadings (accuracy at r = 0, certificates that
/// are wrong, abstentions left out of the denominator) pick another σ.
/// </summary>
internal static class CertificationChecks
{
    private const string Set = "07-certified-robustness-and-black-box";

    [ExerciseCheck(Set, "certified-radius")]
    private static CheckResult CertifiedRadius(IExerciseContext ctx)
    {
        var radius = ctx.Evaluate<Func<long, int, double, double, double>>("CertifiedRadius");
        var cases = new (long Top, int N, double Alpha, double Sigma)[]
        {
            (990, 1000, 0.001, 0.25), (1000, 1000, 0.001, 0.5), (9_500, 10_000, 0.001, 0.25), (80, 100, 0.01, 1.0),
            (600, 1000, 0.001, 0.5), (520, 1000, 0.001, 0.25), (300, 1000, 0.001, 0.25),
        };
        // Fresh last: counts, α and σ the submission cannot predict (p̂_A mostly above ½, so that most draws certify).
        var random = FreshInputs.NewRandom();
        int freshN = random.Next(50, 20_001);
        cases = [.. cases, ((long)Math.Round(freshN * Between(random, 0.4, 1.0)), freshN, new[] { 0.001, 0.01, 0.05 }[random.Next(3)], Between(random, 0.1, 1.0))];
        foreach (var (top, n, alpha, sigma) in cases)
        {
            double expected = SmoothedClassifier.Radius(sigma, ClopperPearson.LowerBound(top, n, alpha));
            double got = radius(top, n, alpha, sigma);
            string call = $"CertifiedRadius(topCount: {top}, samples: {n}, alpha: {F(alpha)}, sigma: {F(sigma)})";
            if (Math.Abs(got - expected) <= 1e-9 * Math.Max(1, expected)) continue;
            string hint;
            double pHat = (double)top / n;
            if (expected == 0) hint = $"the lower bound is {F(ClopperPearson.LowerBound(top, n, alpha))} ≤ ½, so CERTIFY abstains: return 0";
            else if (Math.Abs(got - sigma * StandardNormal.Quantile(Math.Min(pHat, 1 - 1e-12))) < 1e-6) hint = "you used the estimate k/n; use the Clopper–Pearson LOWER bound ClopperPearson.LowerBound(topCount, samples, alpha)";
            else if (Math.Abs(got - SmoothedClassifier.Radius(sigma, ClopperPearson.LowerBound(top, n, alpha / 2))) < 1e-9) hint = "the bound is one-sided at level 1 − α: pass alpha, not alpha / 2";
            else if (Math.Abs(got - StandardNormal.Quantile(ClopperPearson.LowerBound(top, n, alpha))) < 1e-9) hint = "multiply Φ⁻¹(p̲_A) by σ";
            else hint = "radius = σ · StandardNormal.Quantile(p̲_A) with p̲_A = ClopperPearson.LowerBound(topCount, samples, alpha), and 0 when p̲_A ≤ ½";
            return CheckResult.Fail($"{call} = {F(got)}; expected {F(expected)}. Hint: {hint}.");
        }
        return CheckResult.Pass("CertifiedRadius = σ·Φ⁻¹(p̲_A) from the Clopper–Pearson lower bound, and 0 (abstain) when p̲_A ≤ ½, on 7 cases and a random one");
    }

    [ExerciseCheck(Set, "integrated-gradients")]
    private static CheckResult IntegratedGradientsRiemann(IExerciseContext ctx)
    {
        var ig = ctx.Evaluate<Func<Func<Tensor, Tensor>, Tensor, Tensor, int, Tensor>>("IntegratedGradientsRiemann");
        using var scope = NewDisposeScope();
        var model = Baseline;
        var (images, labels) = FirstTestImages(3);
        var cases = Enumerable.Range(0, 3).Select(i => (Image: images.narrow(0, i, 1), Label: labels[i].item<long>(), Baseline: i == 1 ? 0.5f : 0f,
            Steps: i == 2 ? 7 : 20, What: $"test image {i}, {(i == 1 ? "grey" : "black")} baseline")).ToList();
        // Fresh last: a random test image, class, baseline grey level and step count, which the submission cannot predict.
        var random = FreshInputs.NewRandom();
        var (randomImage, _, indices) = RandomTestImages(random, 1);
        float level = (float)Between(random, 0, 0.8);
        cases.Add((randomImage, random.Next(10), level, random.Next(5, 21), $"random test image {indices[0]}, baseline of grey level {F(level)}"));
        foreach (var (x, label, grey, steps, what) in cases)
        {
            var classTensor = tensor(new[] { label });
            var baseline = full(x.shape, grey);
            var Score = Remote.RemoteRecipes.ClassLogit(model, label);
            string call = $"IntegratedGradientsRiemann(logit of class {label}, {what}, steps: {steps})";
            var got = ig(Score, x.clone(), baseline.clone(), steps);
            var expected = new IntegratedGradients(steps, RiemannRule.Right).Attribute(model, x, classTensor, baseline);
            if (ShapeProblem(call, got, expected) is { } problem) return CheckResult.Fail(problem);
            double difference = (got.detach() - expected).abs().max().item<float>();
            double scale = expected.abs().max().item<float>();
            if (difference <= 1e-4 * Math.Max(1, scale)) continue;
            var midpoint = new IntegratedGradients(steps, RiemannRule.Midpoint).Attribute(model, x, classTensor, baseline);
            var left = new IntegratedGradients(steps, RiemannRule.Left).Attribute(model, x, classTensor, baseline);
            string hint =
                (got.detach() - midpoint).abs().max().item<float>() <= 1e-4 * Math.Max(1, scale) ? "you used midpoints (k − ½)/m; the exercise asks for the paper's right sum, t = k/m for k = 1 … m" :
                (got.detach() - left).abs().max().item<float>() <= 1e-4 * Math.Max(1, scale) ? "you used t = k/m for k = 0 … m − 1; the right sum takes k = 1 … m" :
                (got.detach() - expected / (x - baseline).where((x - baseline).ne(0), ones_like(x))).abs().max().item<float>() <= 1e-4 * Math.Max(1, scale) ? "multiply the averaged gradient by (x − baseline)" :
                "average ∇score at baseline + (k/m)(x − baseline) for k = 1 … m, then multiply elementwise by (x − baseline)";
            return CheckResult.Fail($"{call} differs from the expected attributions by up to {F(difference)} (largest attribution {F(scale)}). Hint: {hint}.");
        }
        return CheckResult.Pass("IntegratedGradientsRiemann matches the right Riemann sum of integrated gradients on three test images (black and grey baselines) and on a random image, class, baseline and step count");
    }

    [ExerciseCheck(Set, "success-within")]
    private static CheckResult SuccessWithin(IExerciseContext ctx)
    {
        var within = ctx.Evaluate<Func<long[], bool[], long[], double[]>>("SuccessWithin");
        var problem = CheckSuccessWithin(within, [1, 5, 5, 40, 1000, 1000, 12, 300], [true, true, false, true, false, true, true, true], [0, 1, 5, 12, 100, 999, 1000], "");
        if (problem is not null) return problem;
        // Fresh last: query counts, outcomes and budgets the submission cannot predict.
        var random = FreshInputs.NewRandom();
        int n = random.Next(5, 30);
        long[] randomQueries = Enumerable.Range(0, n).Select(_ => (long)random.Next(1, 2001)).ToArray();
        bool[] randomSucceeded = Enumerable.Range(0, n).Select(_ => random.NextDouble() < 0.7).ToArray();
        // Some budgets equal to a query count, so q ≤ b and q < b differ.
        long[] randomBudgets = [0, .. randomQueries.Take(3), random.Next(1, 2001), 2000];
        problem = CheckSuccessWithin(within, randomQueries, randomSucceeded, randomBudgets,
            $" (random inputs: queries [{string.Join(", ", randomQueries)}], succeeded [{string.Join(", ", randomSucceeded.Select(b => b ? "true" : "false"))}])");
        return problem ?? CheckResult.Pass("SuccessWithin gives the fraction of all examples fooled within each budget (q ≤ b), failures excluded, also on random inputs");
    }

    /// <summary>Compares SuccessWithin with <see cref="QueryStatistics.SuccessRateWithin"/>; a failure, or null when it agrees.</summary>
    private static CheckResult? CheckSuccessWithin(Func<long[], bool[], long[], double[]> within, long[] queries, bool[] succeeded, long[] budgets, string what)
    {
        var stats = new QueryStatistics(queries, succeeded);
        var expected = budgets.Select(b => stats.SuccessRateWithin(b)).ToArray();
        var got = within((long[])queries.Clone(), (bool[])succeeded.Clone(), (long[])budgets.Clone());
        if (got is null || got.Length != budgets.Length)
            return CheckResult.Fail($"SuccessWithin returned {(got is null ? "null" : $"{got.Length} values")}; expected one fraction per budget ({budgets.Length}).");
        for (int i = 0; i < budgets.Length; i++)
        {
            if (Math.Abs(got[i] - expected[i]) < 1e-12) continue;
            long countedFailures = queries.Where(q => q <= budgets[i]).Count();
            double all = queries.Length;
            string hint = Math.Abs(got[i] - countedFailures / all) < 1e-12
                ? "an example counts only if the attack SUCCEEDED on it" + (what == "" ? " (example 3 used 5 queries but was not fooled)" : "")
                : Math.Abs(got[i] - queries.Where((q, j) => succeeded[j] && q < budgets[i]).Count() / all) < 1e-12
                    ? "'within b queries' includes exactly b: use q ≤ b"
                    : $"divide by ALL examples ({queries.Length}), not by the successful ones";
            return CheckResult.Fail($"SuccessWithin at budget {budgets[i]}{what} = {F(got[i])}; expected {F(expected[i])}. Hint: {hint}.");
        }
        return null;
    }
    [ExerciseCheck(Set, "choose-sigma")]
    private static CheckResult ChooseSigma(IExerciseContext ctx)
    {
        var choose = ctx.Evaluate<Func<IReadOnlyDictionary<double, (double Radius, bool Correct)[]>, double, double>>("ChooseSigma");
        // Every case is fresh; together they make each misreading of "certified accuracy at r" give a wrong answer at least once.
        var random = FreshInputs.NewRandom();
        var cases = SigmaCases(random);
        foreach (var (results, radius) in cases)
        {
            double expected = Best(results, c => c.Count(x => x.Correct && x.Radius >= radius) / (double)c.Length);
            var copy = results.ToDictionary(kv => kv.Key, kv => ((double Radius, bool Correct)[])kv.Value.Clone());
            double got = choose(copy, radius);
            if (Math.Abs(got - expected) < 1e-12) continue;
            string Accuracies(Func<(double Radius, bool Correct)[], double> rate) =>
                string.Join(", ", results.OrderBy(kv => kv.Key).Select(kv => $"σ = {F(kv.Key)}: {P(rate(kv.Value))}"));
            string summary = $"certified accuracies at r = {F(radius)}: {Accuracies(c => c.Count(x => x.Correct && x.Radius >= radius) / (double)c.Length)}";
            string hint;
            if (!results.ContainsKey(got)) hint = "return one of the σ values that are the dictionary's keys";
            else if (Math.Abs(got - Best(results, c => c.Count(x => x.Correct) / (double)c.Length)) < 1e-12)
                hint = "that σ has the highest accuracy at r = 0; at a radius r only images certified correctly with radius ≥ r count";
            else if (Math.Abs(got - Best(results, c => c.Count(x => x.Radius >= radius) / (double)c.Length)) < 1e-12)
                hint = "a certificate of a WRONG class does not count: only images with Correct = true and Radius ≥ r";
            else if (Math.Abs(got - Best(results, c => c.Count(x => x.Correct && x.Radius >= radius) / (double)Math.Max(1, c.Count(x => !double.IsNaN(x.Radius))))) < 1e-12)
                hint = "abstentions (Radius NaN) count as errors: divide by ALL images of that σ, not by the certified ones";
            else hint = "certified accuracy at r = (images with Correct and Radius ≥ r) / (all images); pick the σ where it is highest";
            return CheckResult.Fail($"ChooseSigma(random certification results for σ ∈ {{{string.Join(", ", results.Keys.Order().Select(F))}}}, radius {F(radius)}) = {F(got)}; expected {F(expected)} ({summary}). Hint: {hint}.");
        }
        return CheckResult.Pass($"ChooseSigma picks the σ with the highest certified accuracy at the asked radius on {cases.Count} random sets of certification results " +
                                "(counting only correct certificates with radius ≥ r, abstentions as errors)");
    }

    /// <summary>The key whose results have the highest <paramref name="rate"/> (the first on a tie).</summary>
    private static double Best(IReadOnlyDictionary<double, (double Radius, bool Correct)[]> results, Func<(double Radius, bool Correct)[], double> rate) =>
        results.OrderBy(kv => kv.Key).MaxBy(kv => rate(kv.Value)).Key;

    /// <summary>
    /// Random certification results like those of the chapter (for σ = 0.12, 0.25, 0.5, 1: accuracy under noise falls with σ,
    /// radii grow with σ up to the cap of n = 400 samples), with a unique best σ at a random radius, until every misreading
    /// — accuracy at r = 0, counting wrong certificates, leaving abstentions out — has picked another σ in some case.
    /// </summary>
    private static List<(Dictionary<double, (double Radius, bool Correct)[]> Results, double Radius)> SigmaCases(Random random)
    {
        var cases = new List<(Dictionary<double, (double Radius, bool Correct)[]>, double)>();
        bool beatenAtZero = false, beatenWrong = false, beatenAbstain = false;
        for (int attempt = 0; attempt < 500 && (cases.Count < 3 || !(beatenAtZero && beatenWrong && beatenAbstain)); attempt++)
        {
            int n = random.Next(150, 301);
            double[] sigmas = [0.12, 0.25, 0.5, 1.0];
            int confidentlyWrong = random.Next(sigmas.Length);   // one base model that is often certified for a wrong class
            var results = new Dictionary<double, (double Radius, bool Correct)[]>();
            for (int s = 0; s < sigmas.Length; s++)
            {
                double sigma = sigmas[s];
                double accuracy = new[] { 0.9, 0.86, 0.78, 0.62 }[s] + (random.NextDouble() - 0.5) * 0.1;
                double abstain = 0.03 + 0.12 * random.NextDouble() + 0.05 * s;
                double wrongCertified = s == confidentlyWrong ? 0.8 : 0.2;
                results[sigma] = Enumerable.Range(0, n).Select(_ =>
                {
                    double u = random.NextDouble();
                    double z = Math.Min(2.118, Math.Abs(1.6 + Gaussian(random)));   // Φ⁻¹(p̲_A), capped as with n = 400, α = 0.001
                    if (u < abstain) return (double.NaN, false);
                    if (u < abstain + (1 - abstain) * accuracy) return (sigma * z, true);
                    return random.NextDouble() < wrongCertified ? (sigma * z * random.NextDouble(), false) : (double.NaN, false);
                }).ToArray();
            }
            double radius = Math.Round(0.05 + random.NextDouble() * 1.0, 2);
            double Certified((double Radius, bool Correct)[] c) => c.Count(x => x.Correct && x.Radius >= radius) / (double)c.Length;
            var ordered = results.Values.Select(Certified).OrderDescending().ToArray();
            if (ordered[0] - ordered[1] < 3.0 / n) continue;   // a unique best σ, by at least 3 images
            double expected = Best(results, Certified);
            bool atZero = Best(results, c => c.Count(x => x.Correct) / (double)c.Length) != expected;
            bool wrong = Best(results, c => c.Count(x => x.Radius >= radius) / (double)c.Length) != expected;
            bool abstained = Best(results, c => c.Count(x => x.Correct && x.Radius >= radius) / (double)Math.Max(1, c.Count(x => !double.IsNaN(x.Radius)))) != expected;
            // Beyond the first three cases, keep only those that beat a misreading not yet beaten.
            if (cases.Count >= 3 && !(atZero && !beatenAtZero || wrong && !beatenWrong || abstained && !beatenAbstain)) continue;
            cases.Add((results, radius));
            beatenAtZero |= atZero;
            beatenWrong |= wrong;
            beatenAbstain |= abstained;
        }
        return cases;
    }
}
