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
/// examples fooled within each budget), compared with <see cref="QueryStatistics.SuccessRateWithin"/>.
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
        return CheckResult.Pass("CertifiedRadius = σ·Φ⁻¹(p̲_A) from the Clopper–Pearson lower bound, and 0 (abstain) when p̲_A ≤ ½, on 7 cases");
    }

    [ExerciseCheck(Set, "integrated-gradients")]
    private static CheckResult IntegratedGradientsRiemann(IExerciseContext ctx)
    {
        var ig = ctx.Evaluate<Func<Func<Tensor, Tensor>, Tensor, Tensor, int, Tensor>>("IntegratedGradientsRiemann");
        using var scope = NewDisposeScope();
        var model = Baseline;
        var (images, labels) = FirstTestImages(3);
        for (int i = 0; i < 3; i++)
        {
            var x = images.narrow(0, i, 1);
            long label = labels[i].item<long>();
            var classTensor = tensor(new[] { label });
            var baseline = i == 1 ? full(x.shape, 0.5f) : zeros_like(x);
            int steps = i == 2 ? 7 : 20;
            var Score = Remote.RemoteRecipes.ClassLogit(model, label);
            string call = $"IntegratedGradientsRiemann(logit of class {label}, test image {i}, {(i == 1 ? "grey" : "black")} baseline, steps: {steps})";
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
        return CheckResult.Pass("IntegratedGradientsRiemann matches the right Riemann sum of integrated gradients on three test images (black and grey baselines)");
    }

    [ExerciseCheck(Set, "success-within")]
    private static CheckResult SuccessWithin(IExerciseContext ctx)
    {
        var within = ctx.Evaluate<Func<long[], bool[], long[], double[]>>("SuccessWithin");
        long[] queries = [1, 5, 5, 40, 1000, 1000, 12, 300];
        bool[] succeeded = [true, true, false, true, false, true, true, true];
        long[] budgets = [0, 1, 5, 12, 100, 999, 1000];
        var stats = new QueryStatistics(queries, succeeded);
        var expected = budgets.Select(b => stats.SuccessRateWithin(b)).ToArray();
        var got = within((long[])queries.Clone(), (bool[])succeeded.Clone(), (long[])budgets.Clone());
        if (got is null || got.Length != budgets.Length)
            return CheckResult.Fail($"SuccessWithin returned {(got is null ? "null" : $"{got.Length} values")}; expected one fraction per budget ({budgets.Length}).");
        for (int i = 0; i < budgets.Length; i++)
        {
            if (Math.Abs(got[i] - expected[i]) < 1e-12) continue;
            long countedFailures = queries.Where(q => q <= budgets[i]).Count();
            string hint = Math.Abs(got[i] - countedFailures / 8.0) < 1e-12
                ? "an example counts only if the attack SUCCEEDED on it (example 3 used 5 queries but was not fooled)"
                : Math.Abs(got[i] - queries.Where((q, j) => succeeded[j] && q < budgets[i]).Count() / 8.0) < 1e-12
                    ? "'within b queries' includes exactly b: use q ≤ b"
                    : "divide by ALL examples (8), not by the successful ones";
            return CheckResult.Fail($"SuccessWithin at budget {budgets[i]} = {F(got[i])}; expected {F(expected[i])}. Hint: {hint}.");
        }
        return CheckResult.Pass("SuccessWithin gives the fraction of all examples fooled within each budget (q ≤ b), failures excluded");
    }
}
