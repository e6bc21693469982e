using ModelSecurity.Attacks;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>00-setup-and-threat-models</c> (notebooks/00-setup-and-threat-models.ipynb):
/// <c>within-budget</c>, <c>bool[] WithinBudget(Tensor clean, Tensor candidate, double epsilon, Norm norm)</c>: per example,
/// whether the candidate is an input the threat model allows (within ε of the clean image in the norm, pixels in [0, 1]).
/// </summary>
internal static class SetupChecks
{
    private const string Set = "00-setup-and-threat-models";

    private sealed record Case(string Description, double Epsilon, Norm Norm, Tensor Clean, Tensor Candidate, bool[] Expected, string[] Why);

    [ExerciseCheck(Set, "within-budget")]
    private static CheckResult WithinBudget(IExerciseContext ctx)
    {
        var withinBudget = ctx.Evaluate<Func<Tensor, Tensor, double, Norm, bool[]>>("WithinBudget");
        using var scope = NewDisposeScope();
        foreach (var c in Cases())
        {
            var clean = c.Clean.clone();
            var candidate = c.Candidate.clone();
            bool[]? got = withinBudget(clean, candidate, c.Epsilon, c.Norm);
            string call = $"WithinBudget(clean, candidate, {F(c.Epsilon)}, Norm.{c.Norm}) for {c.Description}";
            if (got is null) return CheckResult.Fail($"{call} returned null; return one bool per example.");
            if (got.Length != c.Expected.Length)
                return CheckResult.Fail($"{call}: {c.Expected.Length} examples but {got.Length} answers; return one bool per example " +
                                        "(the first dimension of the batch), not one for the whole batch or one per pixel.");
            string perExample = got.Length > 1 && got.Distinct().Count() == 1 && c.Expected.Distinct().Count() > 1
                ? $" All {got.Length} answers are the same although the examples differ: measure each example on its own (e.g. (candidate - clean).flatten(1), then reduce over dimension 1)."
                : "";
            for (int i = 0; i < got.Length; i++)
                if (got[i] != c.Expected[i])
                    return CheckResult.Fail($"{call}: example {i} gave {Lower(got[i])}, expected {Lower(c.Expected[i])}: {c.Why[i]}.{perExample}");
            if (!Same(clean, c.Clean) || !Same(candidate, c.Candidate))
                return CheckResult.Fail($"{call} changed its inputs; compute on copies (e.g. candidate - clean makes a new tensor) instead of in-place operations.");
        }
        return CheckResult.Pass("WithinBudget is right on 7 batches (L∞ and L2 balls, the pixel box [0, 1], budgets met exactly, per-example answers) and on a random batch");
    }

    /// <summary>
    /// Five random examples, each scaled to 0.3–0.85 or 1.2–2 times ε (far from the boundary) and clamped to [0, 1]; the answer is
    /// computed from the candidate as built.
    /// </summary>
    private static Case RandomCase(Random random)
    {
        const int n = 5;
        var norm = random.Next(2) == 0 ? Norm.LInf : Norm.L2;
        double eps = norm == Norm.LInf ? Between(random, 0.05, 0.15) : Between(random, 0.5, 2.0);
        var generator = new Generator(FreshInputs.NewSeed());
        var clean = rand(new long[] { n, 1, 28, 28 }, generator: generator) * 0.6 + 0.2;
        var direction = rand(clean.shape, generator: generator) * 2 - 1;
        var unit = direction / Perturbations.ViewPerExample(Perturbations.Norms(direction, norm), direction);
        // At least one example inside and one outside, so that no constant answer passes.
        int inside = random.Next(n), outside = (inside + random.Next(1, n)) % n;
        float[] ratios = Enumerable.Range(0, n).Select(i => (float)((i == inside || random.Next(2) == 0) && i != outside
            ? 0.3 + 0.55 * random.NextDouble() : 1.2 + 0.8 * random.NextDouble())).ToArray();
        var candidate = (clean + unit * tensor(ratios).view(n, 1, 1, 1) * eps).clamp(0, 1);
        float[] sizes = Perturbations.Norms(candidate - clean, norm).data<float>().ToArray();
        string name = norm == Norm.LInf ? "‖δ‖∞" : "‖δ‖₂";
        return new Case($"a random batch of {n} images (norms {string.Join(", ", sizes.Select(v => F(v)))})", eps, norm,
            clean.DetachFromDisposeScope(), candidate.DetachFromDisposeScope(),
            sizes.Select(v => v <= eps + 1e-6).ToArray(),
            sizes.Select(v => v <= eps + 1e-6 ? $"{name} = {F(v)} ≤ ε and the pixels stay in [0, 1]" : $"{name} = {F(v)} > ε").ToArray());
    }

    private static string Lower(bool value) => value ? "true" : "false";

    /// <summary>Hand-made batches whose answers differ between plausible mistakes (whole-batch norm, wrong norm, no box, no tolerance).</summary>
    private static IEnumerable<Case> Cases()
    {
        // Clean images away from 0 and 1, so that small changes stay in the box unless a case wants otherwise.
        Tensor Clean(int n, int seed)
        {
            var generator = new Generator((ulong)seed);
            return (rand(new long[] { n, 1, 28, 28 }, generator: generator) * 0.6 + 0.2).DetachFromDisposeScope();
        }
        Tensor Uniform(Tensor like, double size, int seed)
        {
            var generator = new Generator((ulong)seed);
            return ((rand(like.shape, generator: generator) * 2 - 1) * size).DetachFromDisposeScope();
        }

        // 1. L∞: no change, a spread change of 0.09, one pixel changed by 0.15.
        {
            var clean = Clean(3, 1);
            var delta = zeros_like(clean);
            delta[1] = Uniform(clean[1], 0.09, 2);
            delta[2, 0, 14, 14] = tensor(0.15f);
            yield return new Case("an L∞ budget of 0.1", 0.1, Norm.LInf, clean, (clean + delta).DetachFromDisposeScope(),
                [true, true, false], ["the candidate is the clean image", "every pixel moved by at most 0.09 ≤ ε", "one pixel moved by 0.15 > ε"]);
        }
        // 2. The same perturbations under L2: the spread change is long (‖δ‖₂ ≈ 1.4), the single pixel is short.
        {
            var clean = Clean(3, 3);
            var delta = zeros_like(clean);
            delta[1] = Uniform(clean[1], 0.09, 4);
            delta[2, 0, 3, 5] = tensor(0.15f);
            yield return new Case("an L2 budget of 0.2", 0.2, Norm.L2, clean, (clean + delta).DetachFromDisposeScope(),
                [true, false, true], ["the candidate is the clean image",
                    "small changes of all 784 pixels add up: ‖δ‖₂ ≈ 1.4 > ε (L2 measures the whole image, not the largest pixel)",
                    "one pixel moved by 0.15: ‖δ‖₂ = 0.15 ≤ ε"]);
        }
        // 3. The box: a tiny change that leaves [0, 1].
        {
            var clean = Clean(3, 5);
            clean[0, 0, 10, 10] = tensor(0.98f);
            clean[1, 0, 0, 0] = tensor(0.03f);
            var candidate = clean.clone();
            candidate[0, 0, 10, 10] = tensor(1.03f);
            candidate[1, 0, 0, 0] = tensor(-0.02f);
            float original = clean[2, 0, 20, 20].item<float>();
            candidate[2, 0, 20, 20] = tensor(original - 0.05f);
            yield return new Case("pixels leaving [0, 1]", 0.1, Norm.LInf, clean, candidate.DetachFromDisposeScope(),
                [false, false, true], ["a pixel is 1.03 > 1: images must stay in [0, 1] even when the change (0.05) is within ε",
                    "a pixel is -0.02 < 0: images must stay in [0, 1]", "one pixel moved by 0.05 and stays in [0, 1]"]);
        }
        // 4. Exactly on the budget: float rounding makes |δ| a hair above ε.
        {
            var clean = full(new long[] { 2, 1, 28, 28 }, 0.7f).DetachFromDisposeScope();
            var candidate = clean.clone();
            candidate[0] = candidate[0] + 0.1f;
            candidate[1] = candidate[1] - 0.1f;
            yield return new Case("changes of exactly ε = 0.1 (0.7 ± 0.1 in float32)", 0.1, Norm.LInf, clean, candidate.DetachFromDisposeScope(),
                [true, true], ["every pixel moved by exactly ε; in float32 0.8f - 0.7f is 0.100000024, so allow 1e-6 for rounding",
                    "every pixel moved by exactly ε; allow 1e-6 for float rounding"]);
        }
        // 5. Per example: one example far outside, others fine (a whole-batch norm gets this wrong).
        {
            var clean = Clean(4, 6);
            var delta = zeros_like(clean);
            for (int i = 0; i < 4; i++) delta[i] = Uniform(clean[i], i == 2 ? 0.25 : 0.05, 10 + i);
            yield return new Case("four examples, the third changed by up to 0.25", 0.1, Norm.LInf, clean, (clean + delta).DetachFromDisposeScope(),
                [true, true, false, true], ["changed by at most 0.05", "changed by at most 0.05", "changed by up to 0.25 > ε", "changed by at most 0.05"]);
        }
        // 6. L2 near the budget: lengths 0.9 and 1.1 for ε = 1.
        {
            var clean = Clean(2, 7);
            var direction = Uniform(clean, 1, 8);
            var unit = direction / Perturbations.ViewPerExample(direction.flatten(1).norm(1, p: 2), direction);
            var scale = tensor(new[] { 0.9f, 1.1f }).view(2, 1, 1, 1);
            yield return new Case("an L2 budget of 1 and perturbations of length 0.9 and 1.1", 1.0, Norm.L2, clean,
                (clean + unit * scale).DetachFromDisposeScope(),
                [true, false], ["‖δ‖₂ = 0.9 ≤ 1", "‖δ‖₂ = 1.1 > 1"]);
        }
        // 7. A batch of one.
        {
            var clean = Clean(1, 9);
            yield return new Case("a batch of one unchanged image", 0.0, Norm.L2, clean, clean.clone().DetachFromDisposeScope(), [true],
                ["a budget of 0 allows exactly the clean image"]);
        }
        // 8. Fresh: a batch the submission cannot predict (random images, norm, ε and per-example sizes inside or outside the ball).
        yield return RandomCase(FreshInputs.NewRandom());
    }
}
