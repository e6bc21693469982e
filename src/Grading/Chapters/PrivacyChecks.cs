using ModelSecurity.Certification;
using ModelSecurity.Privacy;
using ModelSecurity.Privacy.Accounting;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>05-differential-privacy</c> (notebooks/05-differential-privacy.ipynb):
/// <c>laplace-mechanism</c> (<c>double LaplaceMechanism(double trueValue, double sensitivity, double epsilon, Random random)</c>:
/// trueValue + Laplace(Δ/ε) noise drawn from <c>random</c>; ε ≤ 0 or Δ ≤ 0 refused), checked by the statistics of many draws;
/// <c>clip-per-example</c> (<c>Tensor[] ClipPerExample(IReadOnlyList&lt;Tensor&gt; perExampleGradients, double maxGradNorm)</c>:
/// every example's gradient, all parameters together, scaled to norm ≤ C), compared with <see cref="PerExampleClipping.Clip"/>;
/// <c>epsilon-from-accountant</c> (<c>double EpsilonAfter(int epochs, int batchSize, int datasetSize, double noiseMultiplier, double delta)</c>:
/// ε of DP-SGD with Poisson sampling, q = B/N, epochs·round(N/B) steps, from the <see cref="RdpAccountant"/>);
/// <c>audit-epsilon</c> (<c>double AuditEpsilon(int truePositives, int members, int falsePositives, int nonMembers, double delta)</c>:
/// the largest ε lower bound that a membership test's counts prove at 95 % confidence, graded on fixed and fresh random
/// counts against <see cref="PrivacyAudit.EpsilonLowerBound"/>: more is an overclaim, noticeably less a bound left unused).
/// </summary>
internal static class PrivacyChecks
{
    private const string Set = "05-differential-privacy";

    /// <summary>Draws per statistical test: the standard errors below are about 1 % of the scale.</summary>
    private const int Draws = 40_000;

    /// <summary>Draws of the fresh random case: a quarter of a fixed case's, so the check costs about the same.</summary>
    private const int FreshDraws = 10_000;

    [ExerciseCheck(Set, "laplace-mechanism")]
    private static CheckResult LaplaceMechanism(IExerciseContext ctx)
    {
        var mechanism = ctx.Evaluate<Func<double, double, double, Random, double>>("LaplaceMechanism");

        foreach (var (sensitivity, epsilon, what) in new[] { (1.0, 0.0, "ε = 0"), (1.0, -0.5, "ε = −0.5"), (0.0, 1.0, "sensitivity 0"), (-1.0, 1.0, "sensitivity −1") })
        {
            try
            {
                double value = mechanism(10, sensitivity, epsilon, Remote.RemoteRecipes.Random(1));
                return CheckResult.Fail($"LaplaceMechanism(10, sensitivity {F(sensitivity)}, ε {F(epsilon)}, …) returned {F(value)}; with {what} "
                    + "there is no privacy guarantee to give. Throw an ArgumentOutOfRangeException that says what was wrong.");
            }
            catch (ArgumentException) { }
            catch (Exception e)
            {
                return CheckResult.Fail(e is NotImplementedException
                    ? $"LaplaceMechanism is still blank: it threw NotImplementedException (\"{e.Message}\"); write your code in place of the throw."
                    : $"LaplaceMechanism with {what} threw {e.GetType().Name}; throw an ArgumentOutOfRangeException (an ArgumentException) instead.");
            }
        }

        double[] first = Enumerable.Range(0, 5).Select(_ => 0.0).ToArray();
        var random = Remote.RemoteRecipes.Random(5);
        for (int i = 0; i < first.Length; i++) first[i] = mechanism(0, 1, 1, random);
        random = Remote.RemoteRecipes.Random(5);
        for (int i = 0; i < first.Length; i++)
            if (mechanism(0, 1, 1, random) != first[i])
                return CheckResult.Fail("Two runs with Random(5) gave different noise: draw the noise from the Random you are given (random.NextDouble()), "
                    + "not from a new Random or another source, so that results are reproducible.");
        if (first.Distinct().Count() == 1)
            return CheckResult.Fail($"LaplaceMechanism returned {F(first[0])} five times in a row; every call must draw fresh noise.");

        foreach (var (trueValue, sensitivity, epsilon) in new[] { (42.0, 1.0, 0.5), (-3.0, 3.0, 2.0) })
        {
            double scale = sensitivity / epsilon;
            var rng = Remote.RemoteRecipes.Random(2026);
            double[] noise = Enumerable.Range(0, Draws).Select(_ => mechanism(trueValue, sensitivity, epsilon, rng) - trueValue).ToArray();
            if (noise.Any(n => !double.IsFinite(n)))
                return CheckResult.Fail("Some results are infinite or NaN: with u uniform in (0, 1), log(u) is −∞ at u = 0; avoid u = 0 "
                    + "(e.g. use 1 − random.NextDouble(), which is in (0, 1]).");
            double mean = noise.Average();
            double meanAbs = noise.Average(Math.Abs);
            double tail = noise.Count(n => Math.Abs(n) > 3 * scale) / (double)Draws; // e^{-3} ≈ 0.0498 for Laplace
            double positive = noise.Count(n => n > 0) / (double)Draws;
            string call = $"LaplaceMechanism({F(trueValue)}, sensitivity {F(sensitivity)}, ε {F(epsilon)})";
            if (Math.Abs(mean) > 0.05 * scale + 0.02 || Math.Abs(positive - 0.5) > 0.02)
                return CheckResult.Fail($"{call}: the noise averages {F(mean)} and is positive {P(positive)} of the time over {Draws} draws; "
                    + "Laplace noise is symmetric around 0 (return trueValue + noise, with noise of either sign equally likely).");
            if (Math.Abs(meanAbs / scale - 1) > 0.04)
            {
                string hint = Math.Abs(meanAbs - epsilon / sensitivity) < 0.04 * epsilon / sensitivity ? "the scale is b = Δ/ε, not ε/Δ: less privacy (smaller ε) needs MORE noise"
                    : Math.Abs(meanAbs - 1 / epsilon) < 0.04 / epsilon ? "the scale must grow with the sensitivity: b = Δ/ε"
                    : Math.Abs(meanAbs - scale / 2) < 0.04 * scale ? "the noise is half as large as it should be; if you draw u uniform in [−½, ½), the noise is −b·sign(u)·ln(1 − 2|u|)"
                    : Math.Abs(meanAbs - 2 * scale) < 0.08 * scale ? "the noise is twice as large as it should be; check the factor in the inverse CDF"
                    : "the mean absolute noise of Laplace(b) is b = Δ/ε";
                return CheckResult.Fail($"{call}: the mean absolute noise over {Draws} draws is {F(meanAbs)}, expected b = Δ/ε = {F(scale)}. Hint: {hint}.");
            }
            if (Math.Abs(tail - Math.Exp(-3)) > 0.008)
                return CheckResult.Fail($"{call}: |noise| > 3b in {P(tail)} of {Draws} draws; Laplace noise does that e^−3 ≈ 5.0 % of the time "
                    + $"(Gaussian noise of the same average size: about 1.7 %; uniform: never). Draw from the Laplace distribution, e.g. by inverting its CDF: "
                    + "with u uniform in [−½, ½), noise = −b·sign(u)·ln(1 − 2|u|).");
        }
        // Fresh last: a random value, sensitivity, ε and seed the submission cannot predict; fewer draws (cost) and wider
        // tolerances (5–6 standard errors, so a right answer fails about once in a million gradings).
        {
            var fresh = FreshInputs.NewRandom();
            double trueValue = Between(fresh, -100, 100), sensitivity = Between(fresh, 0.2, 5), epsilon = Between(fresh, 0.1, 4);
            int seed = fresh.Next();
            double scale = sensitivity / epsilon;
            var rng = Remote.RemoteRecipes.Random(seed);
            double[] noise = Enumerable.Range(0, FreshDraws).Select(_ => mechanism(trueValue, sensitivity, epsilon, rng) - trueValue).ToArray();
            double mean = noise.Average(), meanAbs = noise.Average(Math.Abs), positive = noise.Count(n => n > 0) / (double)FreshDraws;
            string call = $"LaplaceMechanism({F(trueValue)}, sensitivity {F(sensitivity)}, ε {F(epsilon)}, new Random({seed})) (random inputs)";
            if (!double.IsFinite(mean) || Math.Abs(mean) > 0.07 * scale || Math.Abs(positive - 0.5) > 0.025 || Math.Abs(meanAbs / scale - 1) > 0.06)
                return CheckResult.Fail($"{call}: over {FreshDraws} draws the noise averages {F(mean)}, is positive {P(positive)} of the time and its mean absolute " +
                                        $"value is {F(meanAbs)}; Laplace(b = Δ/ε = {F(scale)}) noise averages 0, is positive half of the time and has mean absolute value b. " +
                                        "Compute the noise from the arguments you are given for every call.");
        }
        return CheckResult.Pass("LaplaceMechanism adds symmetric Laplace(Δ/ε) noise (mean |noise| and tail checked on 40 000 draws, and on random inputs) and refuses ε ≤ 0 and Δ ≤ 0");
    }

    [ExerciseCheck(Set, "clip-per-example")]
    private static CheckResult ClipPerExample(IExerciseContext ctx)
    {
        var clip = ctx.Evaluate<Func<IReadOnlyList<Tensor>, double, Tensor[]>>("ClipPerExample");
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(55);
        // Two "parameters" of a batch of 6 examples; example 2 is short (left alone), example 4 is all zeros.
        var fixedWeight = randn(new long[] { 6, 3, 4 }, generator: generator);
        var fixedBias = randn(new long[] { 6, 3 }, generator: generator);
        fixedWeight[2].mul_(0.01);
        fixedBias[2].mul_(0.01);
        fixedWeight[4].zero_();
        fixedBias[4].zero_();
        var cases = new[] { 1.0, 2.5 }.Select(c => (Weight: fixedWeight, Bias: fixedBias, MaxNorm: c, What: "")).ToList();
        // Fresh last: random gradients of random sizes and a random C, which the submission cannot predict.
        var random = FreshInputs.NewRandom();
        var freshGenerator = new TorchSharp.torch.Generator(FreshInputs.NewSeed());
        int examples = random.Next(4, 10);
        double freshC = Between(random, 0.5, 4);
        // Per-example norms of 0.2–0.8·C or 1.5–5·C, at least one of each, so that clipping none or all of them fails.
        int shortOne = random.Next(examples), longOne = (shortOne + random.Next(1, examples)) % examples;
        var targetNorms = tensor(Enumerable.Range(0, examples).Select(i => (float)(freshC * ((i == shortOne || random.Next(2) == 0) && i != longOne
            ? Between(random, 0.2, 0.8) : Between(random, 1.5, 5)))).ToArray());
        var freshWeight = randn(new long[] { examples, 3, 4 }, generator: freshGenerator);
        var freshBias = randn(new long[] { examples, 3 }, generator: freshGenerator);
        var factors = targetNorms / PerExampleClipping.Norms(new[] { freshWeight, freshBias });
        cases.Add((freshWeight * factors.view(-1, 1, 1), freshBias * factors.view(-1, 1), freshC, "random "));
        foreach (var (weight, bias, maxNorm, what) in cases)
        {
            Tensor[] inputs = { weight.clone(), bias.clone() };
            Tensor[] expected = PerExampleClipping.Clip(new[] { weight, bias }, maxNorm);
            string call = $"ClipPerExample([{what}weight {Shape(weight)}, {what}bias {Shape(bias)}], C = {F(maxNorm)})";
            var got = clip(inputs, maxNorm);
            if (!Same(inputs[0], weight) || !Same(inputs[1], bias))
                return CheckResult.Fail($"{call} changed the gradients it was given; return new tensors (e.g. g * factor, not g.mul_(factor)).");
            if (got is null || got.Length != 2)
                return CheckResult.Fail($"{call} returned {(got is null ? "null" : $"{got.Length} tensors")}; return one clipped tensor per parameter, in the same order.");
            for (int p = 0; p < 2; p++)
            {
                string? problem = ShapeProblem($"{call}[{p}]", got[p], expected[p]);
                if (problem is not null) return CheckResult.Fail(problem);
            }
            if (got.Zip(expected).All(pair => pair.First.allclose(pair.Second, rtol: 1e-4, atol: 1e-6))) continue;

            string hint = ClippingHint(weight, bias, maxNorm, got);
            var norms = PerExampleClipping.Norms(got).data<float>().ToArray();
            return CheckResult.Fail($"{call}: the clipped per-example norms (all parameters together) are [{string.Join(", ", norms.Select(n => F(n)))}], "
                + $"expected [{string.Join(", ", PerExampleClipping.Norms(expected).data<float>().ToArray().Select(n => F(n)))}]. Hint: {hint}.");
        }
        return CheckResult.Pass("ClipPerExample scales each example's whole gradient by min(1, C/‖gᵢ‖), as PerExampleClipping.Clip does, also on random gradients at a random C");
    }

    private static string ClippingHint(Tensor weight, Tensor bias, double maxNorm, Tensor[] got)
    {
        using var scope = NewDisposeScope();
        bool Matches(Tensor[] candidate) => got.Zip(candidate).All(p => p.First.allclose(p.Second, rtol: 1e-4, atol: 1e-6));
        var perLayer = new[] { weight, bias }.Select(g => PerExampleClipping.Clip(new[] { g }, maxNorm)[0]).ToArray();
        if (Matches(perLayer)) return "each parameter was clipped on its own; DP-SGD bounds the norm of an example's WHOLE gradient, all parameters together: ‖gᵢ‖² = Σ_p ‖gᵢ,p‖²";
        var all = sqrt(weight.pow(2).sum() + bias.pow(2).sum());
        var batchWide = new[] { weight, bias }.Select(g => g * (maxNorm / (all + PerExampleClipping.Stability)).clamp_max(1)).ToArray();
        if (Matches(batchWide)) return "the norm was taken over the whole batch; take one norm per example (per row of the first dimension)";
        var norms = PerExampleClipping.Norms(new[] { weight, bias });
        var scaled = maxNorm / (norms + PerExampleClipping.Stability);
        var always = new[] { weight, bias }.Select(g => g * scaled.reshape(new[] { -1L }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray())).ToArray();
        if (Matches(always)) return "every gradient was scaled to norm C, also the short ones; clipping only shortens: factor min(1, C/‖gᵢ‖)";
        if (got.Any(g => g.isnan().any().item<bool>())) return "NaN values: an all-zero gradient has norm 0; add a small constant (1e-6) to the norm before dividing";
        return "factorᵢ = min(1, C / (‖gᵢ‖ + 1e-6)) with ‖gᵢ‖ over all parameters of example i; multiply every parameter's gradient of example i by it";
    }

    [ExerciseCheck(Set, "epsilon-from-accountant")]
    private static CheckResult EpsilonFromAccountant(IExerciseContext ctx)
    {
        var epsilonAfter = ctx.Evaluate<Func<int, int, int, double, double, double>>("EpsilonAfter");
        // Fresh last: a random training run (epochs, B, N, σ, δ) the submission cannot predict.
        var random = FreshInputs.NewRandom();
        int freshSize = random.Next(5_000, 70_000);
        var fresh = (random.Next(1, 40), random.Next(32, 1025), freshSize, Between(random, 0.6, 3), Math.Pow(10, -random.Next(5, 8)));
        foreach (var (epochs, batch, size, sigma, delta) in new[] { (20, 512, 60_000, 1.0, 1e-5), (3, 256, 60_000, 0.7, 1e-5), (50, 64, 10_000, 2.0, 1e-6), fresh })
        {
            double q = (double)batch / size;
            int steps = epochs * Math.Max(1, (int)Math.Round(1 / q));
            double expected = Epsilon(new RdpAccountant(), sigma, q, steps, delta);
            string call = $"EpsilonAfter({epochs} epochs, B = {batch}, N = {size}, σ = {F(sigma)}, δ = {delta:G2})";
            double got = epsilonAfter(epochs, batch, size, sigma, delta);
            if (Math.Abs(got - expected) <= 1e-6 * Math.Max(1, expected)) continue;

            string hint =
                Near(got, Epsilon(new RdpAccountant(), sigma, q, epochs, delta)) ? "that is the ε of one step per epoch; an epoch of Poisson sampling is about 1/q = N/B steps"
                : Near(got, Epsilon(new RdpAccountant(), sigma, q, steps / epochs, delta)) ? "that is the ε of a single epoch; count the steps of all epochs"
                : Near(got, Epsilon(new RdpAccountant(conversion: RdpConversion.Classic), sigma, q, steps, delta)) ? "that is the classic RDP conversion; use new RdpAccountant() with its default (tighter) conversion"
                : Near(got, Epsilon(new PldAccountant(), sigma, q, steps, delta)) ? "that is the PLD accountant's ε (tighter); this exercise reads it from the RdpAccountant"
                : Near(got, Epsilon(new RdpAccountant(), sigma, 1.0 / Math.Round(1 / q), steps, delta)) ? "close, but q is B/N itself, not 1/round(N/B)"
                : "q = B/N, steps = epochs · round(N/B); accountant.Step(σ, q, steps), then accountant.GetEpsilon(δ)";
            return CheckResult.Fail($"{call} returned {F(got)}, expected ε = {F(expected)} (q = {F(q)}, {steps} steps). Hint: {hint}.");
        }
        return CheckResult.Pass("EpsilonAfter reads ε from the RDP accountant with q = B/N and epochs·round(N/B) steps, also for a random training run");
    }

    [ExerciseCheck(Set, "audit-epsilon")]
    private static CheckResult AuditEpsilon(IExerciseContext ctx)
    {
        var audit = ctx.Evaluate<Func<int, int, int, int, double, double>>("AuditEpsilon");
        var cases = new List<(int Tp, int M, int Fp, int N, double Delta)>
        {
            (90, 100, 5, 100, 1e-5), (250, 500, 10, 500, 1e-5), (100, 100, 0, 100, 1e-5), (10, 500, 5, 500, 1e-5),
            (499, 500, 200, 500, 1e-5),   // nearly every member flagged: the complement inequality gives the bound
            (20, 1000, 1, 1000, 1e-6),
        };
        // Fresh last: counts the submission cannot predict, from a test that beats guessing by a random margin.
        var random = FreshInputs.NewRandom();
        for (int i = 0; i < 3; i++)
        {
            int m = random.Next(50, 3000), n = random.Next(50, 3000);
            double fpr = Between(random, 0, 0.2), tpr = Math.Min(1, fpr + Between(random, 0.05, 0.95));
            cases.Add(((int)Math.Round(tpr * m), m, (int)Math.Round(fpr * n), n, Math.Pow(10, -random.Next(4, 8))));
        }
        foreach (var (tp, m, fp, n, delta) in cases)
        {
            double expected = PrivacyAudit.EpsilonLowerBound(tp, m, fp, n, delta, alpha: 0.05);
            string call = $"AuditEpsilon(TP = {tp} of {m} members, FP = {fp} of {n} non-members, δ = {delta:G2})";
            double got;
            try { got = audit(tp, m, fp, n, delta); }
            catch (NotImplementedException e) { return CheckResult.Fail($"AuditEpsilon is still blank: it threw NotImplementedException (\"{e.Message}\"); write your code in place of the throw."); }
            catch (Exception e) { return CheckResult.Fail($"{call} threw {e.GetType().Name}: {e.Message}. These counts are valid; return a number ≥ 0."); }
            if (double.IsNaN(got) || double.IsInfinity(got))
                return CheckResult.Fail($"{call} returned {F(got)}. A finite sample never proves an infinite ε: the false-positive rate may be 0 in the sample, "
                    + "but its 97.5 % Clopper–Pearson upper bound is not (ClopperPearson.UpperBound(0, n, 0.025) = 1 − 0.025^(1/n)).");
            if (got < 0) return CheckResult.Fail($"{call} returned {F(got)}; ε ≥ a negative number says nothing. When the test proves nothing, return 0.");
            if (got > expected + 1e-6 * Math.Max(1, expected))
            {
                string hint =
                    Near(got, PrivacyAudit.PointEstimate(tp, m, fp, n, delta)) ? "that is the formula applied to the measured rates. They are estimates from a sample; a bound that holds at 95 % needs the Clopper–Pearson UPPER bounds of FPR and FNR = 1 − TPR"
                    : Near(got, PrivacyAudit.EpsilonLowerBound(tp, m, fp, n, delta, alpha: 0.1)) ? "each rate's bound was taken at 95 %; two bounds that must hold together need α/2 = 0.025 each (union bound), i.e. ClopperPearson.UpperBound(k, n, 0.025)"
                    : "use the upper bounds FPR̄ = ClopperPearson.UpperBound(FP, N, 0.025) and FNR̄ = ClopperPearson.UpperBound(M − TP, M, 0.025); ε̲ = max(0, ln((1 − δ − FNR̄)/FPR̄), ln((1 − δ − FPR̄)/FNR̄))";
                return CheckResult.Fail($"{call} returned ε ≥ {F(got)}, but these counts prove only ε ≥ {F(expected)} at 95 % confidence: an overclaim. Hint: {hint}.");
            }
            if (got < expected - 0.01 - 0.01 * expected)
            {
                string hint = expected > 0 && Math.Abs(1 - delta - ClopperPearson.UpperBound(fp, n, 0.025)) > 0
                    && Near(expected, Math.Log((1 - delta - ClopperPearson.UpperBound(fp, n, 0.025)) / ClopperPearson.UpperBound(m - tp, m, 0.025)))
                    ? "here the second inequality, 1 − FPR ≤ e^ε·(1 − TPR) + δ, gives the bound: ln((1 − δ − FPR̄)/FNR̄). Take the larger of the two"
                    : "the bound is correct but loose: use one-sided Clopper–Pearson upper bounds at 0.025 each (not a two-sided interval at a higher level, not a normal approximation)";
                return CheckResult.Fail($"{call} returned ε ≥ {F(got)}: valid, but these counts prove ε ≥ {F(expected)} at 95 % confidence. Hint: {hint}.");
            }
        }
        return CheckResult.Pass("AuditEpsilon proves exactly what the counts support at 95 % confidence (Clopper–Pearson upper bounds on FPR and FNR at α/2 each, "
            + "both inequalities), no more, also on random counts");
    }

    private static double Epsilon(IPrivacyAccountant accountant, double sigma, double q, int steps, double delta)
    {
        accountant.Step(sigma, q, Math.Max(1, steps));
        return accountant.GetEpsilon(delta);
    }

    private static bool Near(double got, double value) => Math.Abs(got - value) <= 1e-4 * Math.Max(1, Math.Abs(value));
}
