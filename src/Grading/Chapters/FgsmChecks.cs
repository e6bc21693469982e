using ModelSecurity.Attacks;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>01-fgsm</c> (notebooks/01-fgsm.ipynb):
/// <c>my-fgsm</c> (<c>Tensor MyFgsm(nn.Module&lt;Tensor, Tensor&gt; model, Tensor images, Tensor labels, double epsilon)</c>, compared
/// with the library's <see cref="Fgsm"/>), <c>targeted-fgsm</c> (<c>Tensor MyTargetedFgsm(model, images, targets, epsilon)</c>,
/// compared with <see cref="Attack.RunTargeted"/>) and <c>smallest-epsilon</c> (<c>double SmallestEpsilon</c>: the smallest ε of
/// <see cref="Grid"/> at which FGSM leaves the baseline below 10 % accuracy on the first 1000 test images).
/// </summary>
internal static class FgsmChecks
{
    private const string Set = "01-fgsm";

    /// <summary>The ε grid of exercise 1.3 (the notebook shows the same values).</summary>
    internal static readonly double[] Grid = [0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3];

    /// <summary>Images of exercise 1.3.</summary>
    internal const int SweepImages = 1000;

    /// <summary>Accuracy threshold of exercise 1.3.</summary>
    internal const double Threshold = 0.10;

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

    [ExerciseCheck(Set, "smallest-epsilon")]
    private static CheckResult SmallestEpsilon(IExerciseContext ctx)
    {
        double answer = ctx.Evaluate<double>("SmallestEpsilon");
        if (double.IsNaN(answer))
            return CheckResult.Fail("SmallestEpsilon is still NaN: assign the smallest ε of the grid at which FGSM accuracy drops below 10 %.");
        if (!Grid.Any(e => Math.Abs(e - answer) < 1e-9))
            return CheckResult.Fail($"SmallestEpsilon = {F(answer)} is not one of the grid's values ({string.Join(", ", Grid.Select(F))}).");

        // The true answer, scanning the grid from the smallest ε (FGSM is deterministic: no random start).
        using var data = Test.Take(SweepImages);
        var accuracies = new List<(double Epsilon, double Accuracy)>();
        foreach (double eps in Grid)
        {
            double accuracy = RobustnessEvaluator.Evaluate(Baseline, data, new Fgsm(Baseline, eps), CPU, batchSize: 500, epsilon: eps, log: TextWriter.Null).RobustAccuracy;
            accuracies.Add((eps, accuracy));
            if (accuracy < Threshold) break;
        }
        var (truth, truthAccuracy) = accuracies[^1];
        if (truthAccuracy >= Threshold)
            return CheckResult.Fail("grading problem: FGSM never drops below 10 % on this grid (please report this).");
        if (Math.Abs(answer - truth) < 1e-9)
            return CheckResult.Pass($"ε = {F(truth)}: FGSM accuracy {P(truthAccuracy)} on the first {SweepImages} test images (at the grid's previous ε: {P(accuracies[^2].Accuracy)})");
        if (answer < truth)
        {
            double atAnswer = accuracies.First(a => Math.Abs(a.Epsilon - answer) < 1e-9).Accuracy;
            return CheckResult.Fail($"SmallestEpsilon = {F(answer)}, but at that ε FGSM accuracy on the first {SweepImages} test images is {P(atAnswer)}, " +
                                    "not below 10 %. Use the first 1000 test images (test.Take(1000)) and the untargeted Fgsm.");
        }
        return CheckResult.Fail($"SmallestEpsilon = {F(answer)} is not the smallest: a smaller ε of the grid already drops FGSM accuracy on the first " +
                                $"{SweepImages} test images below 10 %. Go through the grid from the smallest ε and stop at the first one below 10 %.");
    }
}
