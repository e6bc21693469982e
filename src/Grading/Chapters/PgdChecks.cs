using ModelSecurity.Attacks;
using ModelSecurity.Defenses;
using ModelSecurity.Grading.Remote;
using ModelSecurity.Models;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>02-pgd-and-cw</c> (notebooks/02-pgd-and-cw.ipynb):
/// <c>project-linf</c> (<c>Tensor ProjectLinf(Tensor delta, double epsilon)</c>) and <c>project-l2</c>
/// (<c>Tensor ProjectL2(Tensor delta, double epsilon)</c>), compared with <see cref="Perturbations.Project"/>, and
/// <c>pgd-step</c> (<c>Tensor PgdStep(model, images, adversarial, labels, epsilon, stepSize, norm)</c>), compared with one
/// step computed from the library's pieces (input gradient, <see cref="Perturbations.SteepestAscent"/>, projection, clamp);
/// and the judgement exercise <c>break-masked</c> (<c>Tensor BreakIt(model, images, labels, epsilon)</c>, an attack of the
/// learner's choice against the gradient-masked <see cref="QuantizedInput"/> baseline, graded by the robust accuracy it
/// leaves on fresh random test images, which the grader measures itself).
/// </summary>
internal static class PgdChecks
{
    private const string Set = "02-pgd-and-cw";

    [ExerciseCheck(Set, "project-linf")]
    private static CheckResult ProjectLinf(IExerciseContext ctx)
    {
        var project = ctx.Evaluate<Func<Tensor, double, Tensor>>("ProjectLinf");
        return CheckProjection("ProjectLinf", project, Norm.LInf);
    }

    [ExerciseCheck(Set, "project-l2")]
    private static CheckResult ProjectL2(IExerciseContext ctx)
    {
        var project = ctx.Evaluate<Func<Tensor, double, Tensor>>("ProjectL2");
        return CheckProjection("ProjectL2", project, Norm.L2);
    }

    /// <summary>Perturbations inside and outside the ball, a zero perturbation, ε = 0; per-example results.</summary>
    private static CheckResult CheckProjection(string name, Func<Tensor, double, Tensor> project, Norm norm)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(2024);
        // Eight examples of very different sizes (row i scaled by 0.02·3^i), so some are inside every ball and some outside.
        var scales = tensor(Enumerable.Range(0, 8).Select(i => (float)(0.02 * Math.Pow(3, i))).ToArray()).view(8, 1, 1, 1);
        var fixedDelta = (rand(new long[] { 8, 1, 28, 28 }, generator: generator) * 2 - 1) * scales;
        fixedDelta[3] = zeros(1, 28, 28); // the zero perturbation: the L2 projection must not divide by 0
        double[] budgets = norm == Norm.LInf ? [0.1, 0.3, 0.0] : [1.0, 3.0, 0.0];
        var cases = budgets.Select(eps => (Delta: fixedDelta, Eps: eps, What: "8 perturbations")).ToList();
        // Fresh: perturbations of random sizes around a random ε (the first surely outside the ball), which the submission cannot predict.
        var random = FreshInputs.NewRandom();
        double freshEps = norm == Norm.LInf ? Between(random, 0.02, 0.3) : Between(random, 0.3, 4.0);
        var freshScales = tensor(Enumerable.Range(0, 8).Select(i => (float)(freshEps * (i == 0 ? 2 : Between(random, 0.2, 2.5)) / (norm == Norm.LInf ? 1 : 16))).ToArray()).view(8, 1, 1, 1);
        cases.Add(((rand(new long[] { 8, 1, 28, 28 }, generator: new Generator(FreshInputs.NewSeed())) * 2 - 1) * freshScales, freshEps, "8 random perturbations"));
        foreach (var (caseDelta, eps, what) in cases)
        {
            var delta = caseDelta;
            var input = delta.clone();
            string call = $"{name}(delta, {F(eps)}) on {what} shaped (8, 1, 28, 28) with {(norm == Norm.LInf ? "L∞" : "L2")} norms " +
                          $"from {F(Perturbations.Norms(delta, norm).min().item<float>())} to {F(Perturbations.Norms(delta, norm).max().item<float>())}";
            var got = project(input, eps);
            if (ShapeProblem(call, got, delta) is { } shapeProblem) return CheckResult.Fail(shapeProblem);
            if (!Same(input, delta))
                return CheckResult.Fail($"{call} changed its input in place; return a new tensor (e.g. delta.clamp(...) instead of delta.clamp_(...)).");
            got = got.detach().cpu().to_type(ScalarType.Float32);
            if (got.isnan().any().item<bool>())
                return CheckResult.Fail($"{call} returned NaN for example {NaNRow(got)}" +
                                        (norm == Norm.L2 ? " (the zero perturbation: guard the division by its norm, e.g. norm.clamp_min(1e-12))." : "."));
            var expected = Perturbations.Project(delta, eps, norm);
            var gotNorms = Perturbations.Norms(got, norm);
            var originalNorms = Perturbations.Norms(delta, norm);
            for (int i = 0; i < 8; i++)
            {
                double before = originalNorms[i].item<float>(), after = gotNorms[i].item<float>();
                double difference = (got[i] - expected[i]).abs().max().item<float>();
                if (difference <= 1e-5 * Math.Max(1, eps)) continue;
                string where = before <= eps ? $"inside the ball (norm {F(before)} ≤ ε), so it must come back unchanged"
                                             : $"outside the ball (norm {F(before)} > ε), so it must come back with norm ε";
                string hint = norm switch
                {
                    Norm.LInf => "the L∞ ball is a box: clip every entry to [-ε, ε]",
                    _ when after > eps + 1e-4 => "scale the whole example by ε/‖δ‖₂ when its norm exceeds ε",
                    _ when before <= eps => "examples inside the ball stay as they are: the factor is min(1, ε/‖δ‖₂)",
                    _ when (got[i] - delta[i]).abs().max().item<float>() > 1e-6 && !Same(got[i].sign(), delta[i].sign()) =>
                        "the projection keeps the direction: multiply by a positive factor, do not clip entries",
                    _ => "each example is scaled by its own factor min(1, ε/‖δ_i‖₂): compute the norm per example (over its 784 pixels), not over the batch",
                };
                return CheckResult.Fail($"{call}: example {i} is {where}; it came back with norm {F(after)} " +
                                        $"(largest entry difference from the right answer {F(difference)}). Hint: {hint}.");
            }
        }
        return CheckResult.Pass($"{name} matches Perturbations.Project on perturbations inside and outside the ball, the zero perturbation, ε = 0 and random perturbations at a random ε");
    }

    private static int NaNRow(Tensor t)
    {
        var rows = t.flatten(1).isnan().any(1);
        for (int i = 0; i < rows.shape[0]; i++) if (rows[i].item<bool>()) return i;
        return -1;
    }

    [ExerciseCheck(Set, "pgd-step")]
    private static CheckResult PgdStep(IExerciseContext ctx)
    {
        var step = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor, double, double, Norm, Tensor>>("PgdStep");
        using var scope = NewDisposeScope();
        var model = Baseline;
        var (first, firstLabels) = FirstTestImages(32);
        var cases = new[] { (Norm.LInf, 0.1, 0.025), (Norm.L2, 2.0, 0.5), (Norm.LInf, 0.03, 0.05) }
            .Select(c => (Images: first, Labels: firstLabels, Norm: c.Item1, Eps: c.Item2, Alpha: c.Item3, Seed: 7UL, What: "32 test images")).ToList();
        // Fresh: random test images, norm, ε, α (below or above ε) and starting point, which the submission cannot predict.
        var random = FreshInputs.NewRandom();
        var (randomImages, randomLabels, _) = RandomTestImages(random, 32);
        var randomNorm = random.Next(2) == 0 ? Norm.LInf : Norm.L2;
        double randomEps = randomNorm == Norm.LInf ? Between(random, 0.02, 0.2) : Between(random, 0.5, 3.0);
        cases.Add((randomImages, randomLabels, randomNorm, randomEps, Math.Round(randomEps * Between(random, 0.1, 1.5), 4), FreshInputs.NewSeed(), "32 random test images"));
        foreach (var (images, labels, norm, eps, alpha, seed, what) in cases)
        {
            // Start from a point inside the ball (as PGD does after its random start or a few steps).
            var generator = new Generator(seed);
            var start = (images + Perturbations.RandomStart(images, eps, norm, generator)).clamp(0, 1);
            var (imagesCopy, startCopy, labelsCopy) = (images.clone(), start.clone(), labels.clone());
            string call = $"PgdStep(baseline, {what}, a point of the ε-ball, labels, ε = {F(eps)}, α = {F(alpha)}, Norm.{norm})";
            var got = step(model, imagesCopy, startCopy, labelsCopy, eps, alpha, norm);
            if (ShapeProblem(call, got, images) is { } shapeProblem) return CheckResult.Fail(shapeProblem);
            if (!Same(imagesCopy, images) || !Same(startCopy, start))
                return CheckResult.Fail($"{call} changed the images or the starting point it was given; build new tensors instead.");
            if (got.requires_grad)
                return CheckResult.Fail($"{call} returned a tensor that still requires gradients; return result.detach().");
            got = got.detach().cpu().to_type(ScalarType.Float32);
            var expected = ReferenceStep(model, images, start, labels, eps, alpha, norm);

            float low = got.min().item<float>(), high = got.max().item<float>();
            if (low < -1e-6 || high > 1 + 1e-6)
                return CheckResult.Fail($"{call}: pixel values range over [{F(low)}, {F(high)}]; clamp the new point to [0, 1] after projecting.");
            double largest = Perturbations.Norms(got - images, norm).max().item<float>();
            if (largest > eps * (1 + 1e-4) + 1e-6)
                return CheckResult.Fail($"{call}: a result is {F(largest)} from its clean image in {(norm == Norm.LInf ? "L∞" : "L2")}, outside the ε-ball: project " +
                                        "the perturbation (new point − CLEAN image) onto the ball, then add it to the clean image.");
            // Only images with a well-defined step are compared (see WellConditioned).
            var compared = WellConditioned(model, start, labels).view(-1, 1, 1, 1).expand_as(got);
            var differs = (got - expected).abs().gt(1e-4).logical_and(compared);
            long mismatched = differs.sum().item<long>(), total = compared.sum().item<long>();
            if (mismatched <= 0.001 * total) continue;
            var moved = got - start;
            var expectedMove = expected - start;
            string hint;
            if ((moved * expectedMove).lt(0).sum().item<long>() > (expectedMove.abs().gt(1e-6)).sum().item<long>() / 2)
                hint = "most pixels move the wrong way: step UP the loss of the true labels";
            else if (moved.abs().max().item<float>() < 1e-7)
                hint = "the result is the starting point: take a step of size α along the steepest-ascent direction";
            else
                hint = norm == Norm.LInf
                    ? "take the gradient at the CURRENT point (adversarial), step α·sign(gradient), then project (x' − images) onto the L∞ ball and clamp to [0, 1]"
                    : "take the gradient at the CURRENT point, step α·g/‖g‖₂ per example, then project (x' − images) onto the L2 ball and clamp to [0, 1]";
            return CheckResult.Fail($"{call}: {mismatched} of {total} pixels differ from the expected step (largest difference " +
                                    $"{F((got - expected).abs().max().item<float>())}); {hint}.");
        }
        return CheckResult.Pass("PgdStep matches one projected steepest-ascent step under L∞ and L2, including steps larger than ε, and on random test images at a random ε and α");
    }

    /// <summary>
    /// Per image: whether 1 − p(true class) at <paramref name="start"/> exceeds 1e-4. Below that the loss gradient is at the
    /// limit of float32 precision (p − 1 is rounded to multiples of 6·10⁻⁸, a relative error above 6·10⁻⁴), so two correct
    /// implementations (cross_entropy against log_softmax and nll_loss, say) can step such an image in visibly different
    /// directions; the reference solution failed this check once that way (582 pixels of one image, L2). About a third of
    /// the baseline's images are that confident; the others are compared pixel by pixel.
    /// </summary>
    private static Tensor WellConditioned(nn.Module<Tensor, Tensor> model, Tensor start, Tensor labels)
    {
        using var noGrad = no_grad();
        model.eval();
        var trueClass = model.forward(start).to_type(ScalarType.Float64).softmax(1).gather(1, labels.unsqueeze(1)).squeeze(1);
        return (1 - trueClass).gt(1e-4);
    }

    /// <summary>One untargeted PGD step from <paramref name="start"/>, as <see cref="Pgd"/> takes it.</summary>
    private static Tensor ReferenceStep(nn.Module<Tensor, Tensor> model, Tensor images, Tensor start, Tensor labels, double eps, double alpha, Norm norm)
    {
        using var gradients = enable_grad();
        var x = start.detach().clone().requires_grad_(true);
        var loss = nn.functional.cross_entropy(model.forward(x), labels, reduction: nn.Reduction.Sum);
        var gradient = autograd.grad(new[] { loss }, new[] { x })[0].detach();
        var moved = start + alpha * Perturbations.SteepestAscent(gradient, norm);
        return (images + Perturbations.Project(moved - images, eps, norm)).clamp(0, 1).detach();
    }

    /// <summary>Budget of exercise 2.4 (L∞, the course's standard ε).</summary>
    internal const double MaskedEpsilon = 0.1;

    /// <summary>Fresh random test images the learner's attack runs on in exercise 2.4.</summary>
    internal const int MaskedImages = 100;

    /// <summary>Robust accuracy the learner's attack must push the masked model below (PGD-20 leaves it near its clean accuracy).</summary>
    internal const double MaskedBar = 0.20;

    /// <summary>Grey levels of the masked model's input rounding (8-bit: the images themselves are unchanged).</summary>
    internal const int MaskedLevels = 255;

    /// <summary>The grader's own masked model (never handed to a submission; never disposed: it wraps the shared baseline).</summary>
    private static readonly Lazy<QuantizedInput> GraderMasked = new(() => new QuantizedInput(Baseline, MaskedLevels));

    [ExerciseCheck(Set, "break-masked")]
    private static CheckResult BreakMasked(IExerciseContext ctx)
    {
        var breakIt = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor>>("BreakIt");
        using var scope = NewDisposeScope();
        // Fresh random test images, so that no answer can be prepared for them.
        var (images, labels, _) = RandomTestImages(FreshInputs.NewRandom(), MaskedImages);
        // The learner gets a model of their own (a fresh copy of the baseline behind the rounding): whatever their code
        // does to it cannot change the model the grader evaluates.
        using var theirs = RemoteRecipes.QuantizedInput(RemoteRecipes.Shipped(ShippedModels.LoadBaseline(CPU), "baseline"), MaskedLevels);
        theirs.eval();
        string call = $"BreakIt(masked model, {MaskedImages} random test images, labels, ε = {F(MaskedEpsilon)})";
        var got = breakIt(theirs, images.clone(), labels.clone(), MaskedEpsilon);
        if (ShapeProblem(call, got, images) is { } shapeProblem) return CheckResult.Fail(shapeProblem);
        got = got.detach().cpu().to_type(ScalarType.Float32);
        if (got.isnan().any().item<bool>()) return CheckResult.Fail($"{call} returned NaN pixels; return images in [0, 1].");
        float low = got.min().item<float>(), high = got.max().item<float>();
        if (low < -1e-6 || high > 1 + 1e-6)
            return CheckResult.Fail($"{call}: pixel values range over [{F(low)}, {F(high)}]; clamp the adversarial images to [0, 1].");
        double moved = (got - images).abs().max().item<float>();
        if (moved > MaskedEpsilon + 1e-5)
            return CheckResult.Fail($"{call}: a pixel moved by {F(moved)} > ε = {F(MaskedEpsilon)}; stay inside the L∞ ball (project: images + (x − images).clamp(−ε, ε)).");

        // The verdict: the grader's own masked model on the returned images.
        var masked = GraderMasked.Value;
        bool[] robust;
        using (no_grad())
            robust = (masked.forward(images).argmax(1).eq(labels) & masked.forward(got).argmax(1).eq(labels)).data<bool>().ToArray();
        int robustCount = robust.Count(r => r);
        double accuracy = robustCount / (double)MaskedImages;
        var interval = Statistics.Proportion.Wilson(robustCount, MaskedImages);
        string measured = $"robust accuracy of the masked model under your attack: {P(accuracy)} {interval} on {MaskedImages} random test images at L∞ ε = {F(MaskedEpsilon)}";
        if (accuracy < MaskedBar)
            return CheckResult.Pass($"{measured}, below the bar of {P(MaskedBar)}: the masked model is not robust, its gradients only hid that");
        string hint = moved < 1e-7
            ? "BreakIt returned the images unchanged"
            : "the gradient of this model is 0 everywhere (its input rounding has derivative 0), so FGSM, PGD and APGD cannot move; " +
              "use an attack that needs no gradient of this model (SquareAttack, a transfer from a surrogate model) or BPDA (the gradient of a differentiable stand-in for the rounding)";
        return CheckResult.Fail($"{measured}; it must fall below {P(MaskedBar)}. Hint: {hint}.");
    }
}
