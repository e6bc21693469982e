using ModelSecurity.Attacks;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>01-fgsm</c> (notebooks/01-fgsm.ipynb):
/// <c>my-fgsm</c> (<c>Tensor MyFgsm(nn.Module&lt;Tensor, Tensor&gt; model, Tensor images, Tensor labels, double epsilon)</c>, compared
/// with the library's <see cref="Fgsm"/>), <c>targeted-fgsm</c> (<c>Tensor MyTargetedFgsm(model, images, targets, epsilon)</c>,
/// compared with <see cref="Attack.RunTargeted"/>) and the judgement exercise <c>fool-the-survivors</c>
/// (<c>Tensor FoolSurvivors(model, images, labels, epsilon)</c>: an attack of the learner's choice, graded by the accuracy
/// the baseline keeps on fresh random test images that FGSM at ε does not fool, measured by the grader itself).
/// </summary>
internal static class FgsmChecks
{
    private const string Set = "01-fgsm";

    /// <summary>Budget of exercise 1.3 (L∞).</summary>
    internal const double SurvivorEpsilon = 0.1;

    /// <summary>Random test images FGSM runs on in exercise 1.3 to find survivors (about 5 % of them survive).</summary>
    internal const int SurvivorPool = 1500;

    /// <summary>Survivors the learner's attack runs on (at most).</summary>
    internal const int SurvivorCount = 48;

    /// <summary>Fewer survivors than this in the pool is a grading problem, not the learner's.</summary>
    internal const int MinimumSurvivors = 20;

    /// <summary>Accuracy on the survivors that the learner's attack must push below.</summary>
    internal const double SurvivorBar = 0.5;

    /// <summary>
    /// Pixels allowed to differ from the reference: where a gradient entry is within rounding of 0, a different but
    /// equally correct computation (mean instead of summed loss, backward() instead of autograd.grad) can flip its sign.
    /// </summary>
    private const double MismatchAllowance = 0.001;

    [ExerciseCheck(Set, "my-fgsm")]
    private static CheckResult MyFgsm(IExerciseContext ctx)
    {
        var myFgsm = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor>>("MyFgsm");
        return CompareWithLibrary("MyFgsm", (images, labels, eps) => myFgsm(Baseline, images, labels, eps),
            (images, labels, eps) => new Fgsm(Baseline, eps).Run(images, labels), targeted: false);
    }

    [ExerciseCheck(Set, "targeted-fgsm")]
    private static CheckResult MyTargetedFgsm(IExerciseContext ctx)
    {
        var myTargeted = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor>>("MyTargetedFgsm");
        return CompareWithLibrary("MyTargetedFgsm", (images, targets, eps) => myTargeted(Baseline, images, targets, eps),
            (images, targets, eps) => new Fgsm(Baseline, eps).RunTargeted(images, targets), targeted: true);
    }

    private static CheckResult CompareWithLibrary(string name, Func<Tensor, Tensor, double, Tensor> student,
        Func<Tensor, Tensor, double, Tensor> reference, bool targeted)
    {
        using var scope = NewDisposeScope();
        var (first, firstLabels) = FirstTestImages(64);
        string what = targeted ? "targets" : "labels";
        // Fixed cases (readable messages), then one the submission cannot predict: random test images, a random ε and,
        // for the targeted attack, random targets.
        var random = FreshInputs.NewRandom();
        var picked = tensor(Enumerable.Range(0, 32).Select(_ => (long)random.Next((int)Test.Images.shape[0])).ToArray());
        var (randomImages, randomLabels) = (Test.Images.index_select(0, picked).clone(), Test.Labels.index_select(0, picked).clone());
        var randomTargets = (randomLabels + tensor(Enumerable.Range(0, 32).Select(_ => (long)random.Next(1, 10)).ToArray())) % 10;
        double randomEps = Math.Round(0.01 + random.NextDouble() * 0.19, 4);
        var cases = new (Tensor Images, Tensor Wanted, double Eps, string Which)[]
        {
            // Targets: the class after the true one, so no target is the true label.
            (first, targeted ? (firstLabels + 1) % 10 : firstLabels, 0.1, "first 64 test images"),
            (first, targeted ? (firstLabels + 1) % 10 : firstLabels, 0.03, "first 64 test images"),
            (randomImages, targeted ? randomTargets : randomLabels, randomEps, "32 random test images"),
        };
        foreach (var (images, wanted, eps, which) in cases)
        {
            var imagesCopy = images.clone();
            var wantedCopy = wanted.clone();
            string call = $"{name}(baseline, {which}, {what}, {F(eps)})";
            var got = student(imagesCopy, wantedCopy, eps);
            if (ShapeProblem(call, got, images) is { } shapeProblem) return CheckResult.Fail(shapeProblem);
            if (!Same(imagesCopy, images))
                return CheckResult.Fail($"{call} changed the images it was given; work on a copy (images.detach().clone()) or build a new tensor.");
            if (got.requires_grad)
                return CheckResult.Fail($"{call} returned a tensor that still requires gradients; return result.detach() so the caller does not keep the graph alive.");
            got = got.detach().cpu().to_type(ScalarType.Float32);
            var expected = reference(images, wanted, eps);

            float low = got.min().item<float>(), high = got.max().item<float>();
            if (low < -1e-6 || high > 1 + 1e-6)
                return CheckResult.Fail($"{call}: pixel values range over [{F(low)}, {F(high)}]; clamp the result to [0, 1] (images.clamp(0, 1)).");
            double moved = (got - images).abs().max().item<float>();
            if (moved > eps + 1e-5)
                return CheckResult.Fail($"{call}: a pixel moved by {F(moved)} > ε = {F(eps)}; FGSM moves each pixel by ε·sign(gradient) at most.");
            if (moved < 1e-7)
                return CheckResult.Fail($"{call} returned the images unchanged; add ε·sign(gradient) to them.");

            var differs = (got - expected).abs().gt(1e-5);
            long mismatched = differs.sum().item<long>(), total = got.numel();
            if (mismatched <= MismatchAllowance * total) continue;

            // Say what kind of difference it is.
            var step = got - images;
            var expectedStep = expected - images;
            var bothMoved = step.abs().gt(1e-6) & expectedStep.abs().gt(1e-6);
            long opposite = (bothMoved & (step * expectedStep).lt(0)).sum().item<long>();
            long moving = bothMoved.sum().item<long>();
            string hint;
            if (moving > 0 && opposite > moving / 2)
                hint = targeted
                    ? "most pixels move the opposite way: a targeted attack goes DOWN the loss of the target class (x − ε·sign(∇ₓ loss(x, target)))"
                    : "most pixels move the opposite way: FGSM goes UP the loss of the true label (x + ε·sign(∇ₓ loss)), not down";
            else if (OffEpsilon(got, step, eps) > total / 100)
                hint = "pixels moved by amounts other than ε: use the SIGN of the gradient (gradient.sign()), not the gradient itself";
            else
                hint = "check that the loss is the cross-entropy of the model's logits with the " + what + ", taken at the clean images";
            double agreement = 1 - (double)mismatched / total;
            return CheckResult.Fail($"{call}: {mismatched} of {total} pixels differ from the library's {(targeted ? "targeted " : "")}FGSM " +
                                    $"(largest difference {F((got - expected).abs().max().item<float>())}, {P(agreement)} agree); {hint}.");
        }
        return CheckResult.Pass($"{name} matches the library's {(targeted ? "targeted " : "")}FGSM on 64 test images at ε = 0.1 and 0.03 and on 32 random test images at a random ε");
    }

    /// <summary>Pixels that moved by neither 0 nor ε although they were not clamped at 0 or 1.</summary>
    private static long OffEpsilon(Tensor result, Tensor step, double eps)
    {
        var interior = result.gt(1e-6) & result.lt(1 - 1e-6) & step.abs().gt(1e-6);
        return (interior & (step.abs() - eps).abs().gt(1e-4)).sum().item<long>();
    }

    [ExerciseCheck(Set, "fool-the-survivors")]
    private static CheckResult FoolTheSurvivors(IExerciseContext ctx)
    {
        var fool = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, Tensor>>("FoolSurvivors");
        using var scope = NewDisposeScope();
        // Fresh random test images; the survivors are those the baseline gets right before and after FGSM at ε.
        var random = FreshInputs.NewRandom();
        var (pool, poolLabels, _) = RandomTestImages(random, SurvivorPool);
        var fgsm = new Fgsm(Baseline, SurvivorEpsilon).Run(pool, poolLabels);
        Tensor survivorRows;
        using (no_grad())
            survivorRows = (Baseline.forward(pool).argmax(1).eq(poolLabels) & Baseline.forward(fgsm).argmax(1).eq(poolLabels)).nonzero().squeeze(1);
        long found = survivorRows.shape[0];
        if (found < MinimumSurvivors)
            return CheckResult.Fail($"grading problem: only {found} of {SurvivorPool} random test images survive FGSM (please report this).");
        survivorRows = survivorRows.narrow(0, 0, Math.Min(found, SurvivorCount));
        var (images, labels) = (pool.index_select(0, survivorRows), poolLabels.index_select(0, survivorRows));
        int n = (int)images.shape[0];

        // The learner gets a model of their own, so nothing they do to it changes the model the grader evaluates.
        using var theirs = Remote.RemoteRecipes.Shipped(Models.ShippedModels.LoadBaseline(CPU), "baseline");
        theirs.eval();
        string call = $"FoolSurvivors(baseline, {n} random test images FGSM at ε = {F(SurvivorEpsilon)} does not fool, labels, ε = {F(SurvivorEpsilon)})";
        var imagesCopy = images.clone();
        var got = fool(theirs, imagesCopy, labels.clone(), SurvivorEpsilon);
        if (ShapeProblem(call, got, images) is { } shapeProblem) return CheckResult.Fail(shapeProblem);
        got = got.detach().cpu().to_type(ScalarType.Float32);
        if (got.isnan().any().item<bool>()) return CheckResult.Fail($"{call} returned NaN pixels; return images in [0, 1].");
        float low = got.min().item<float>(), high = got.max().item<float>();
        if (low < -1e-6 || high > 1 + 1e-6)
            return CheckResult.Fail($"{call}: pixel values range over [{F(low)}, {F(high)}]; clamp the result to [0, 1].");
        double moved = (got - images).abs().max().item<float>();
        if (moved > SurvivorEpsilon + 1e-5)
            return CheckResult.Fail($"{call}: a pixel moved by {F(moved)} > ε = {F(SurvivorEpsilon)}; keep every pixel within ε of the clean image " +
                                    "(after each step: images + (x − images).clamp(−ε, ε), then clamp to [0, 1]).");

        // The verdict: the grader's own baseline on the returned images.
        int stillRight;
        using (no_grad()) stillRight = (int)Baseline.forward(got).argmax(1).eq(labels).sum().item<long>();
        double accuracy = stillRight / (double)n;
        string measured = $"the baseline still classifies {stillRight} of {n} survivors correctly ({P(accuracy)} {Statistics.Proportion.Wilson(stillRight, n)}) " +
                          $"at L∞ ε = {F(SurvivorEpsilon)}";
        if (accuracy < SurvivorBar)
            return CheckResult.Pass($"{measured}, below the bar of {P(SurvivorBar)}: the images FGSM could not fool were not robust");
        string hint = moved < 1e-7
            ? "FoolSurvivors returned the images unchanged"
            : "on these images the softmax is saturated: the cross-entropy and its gradient at the clean image are (almost) 0, so one step along its sign " +
              "goes nowhere useful. Re-read the gradient after small steps (section 5), start from a random point of the ball, or take the gradient of " +
              "a loss that does not saturate (the logit margin of section 1)";
        return CheckResult.Fail($"{measured}; it must fall below {P(SurvivorBar)}. Hint: {hint}.");
    }
}
