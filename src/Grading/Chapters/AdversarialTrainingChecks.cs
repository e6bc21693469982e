using ModelSecurity.Attacks;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>03-adversarial-training</c> (notebooks/03-adversarial-training.ipynb):
/// <c>training-step</c> (<c>double AdversarialTrainingStep(model, optimizer, attack, images, labels)</c>: one step of the
/// outer minimisation on the attack's output), compared parameter by parameter with a reference step on a copy of the
/// model; and <c>fast-at-examples</c> (<c>Tensor FastAtExamples(model, images, labels, epsilon, alpha, generator)</c>: the
/// inner maximisation of fast AT, FGSM from a uniform random start), compared with the same computation from the
/// library's pieces and the same random numbers; and <c>read-fast-at-runs</c>
/// (<c>(bool Collapsed, int RestoreCheck) ReadFastAtRun(fgsmTrain, clean, pgd)</c>: a judgement exercise, graded on runs
/// the grader invents afresh, <see cref="FastAtRuns"/>).
/// </summary>
internal static class AdversarialTrainingChecks
{
    private const string Set = "03-adversarial-training";

    [ExerciseCheck(Set, "training-step")]
    private static CheckResult TrainingStep(IExerciseContext ctx)
    {
        var step = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, optim.Optimizer, Attack, Tensor, Tensor, double>>("AdversarialTrainingStep");
        using var scope = NewDisposeScope();
        var (first, firstLabels) = FirstTestImages(64);
        // Fresh last: random test images and a random attack (PGD with a random ε and step count, or FGSM with a random ε).
        var random = FreshInputs.NewRandom();
        var (randomImages, randomLabels, _) = RandomTestImages(random, 64);
        double randomEps = Between(random, 0.02, 0.15);
        int randomSteps = random.Next(2, 6);
        (string, Func<nn.Module<Tensor, Tensor>, Attack>) randomAttack = random.Next(2) == 0
            ? ($"PGD-{randomSteps} without random start, ε = {F(randomEps)}", m => Remote.RemoteRecipes.Pgd(m, randomEps, steps: randomSteps, randomStart: false))
            : ($"FGSM, ε = {F(randomEps)}", m => Remote.RemoteRecipes.Fgsm(m, randomEps));
        foreach (var (attackName, makeAttack, images, labels, what) in new (string, Func<nn.Module<Tensor, Tensor>, Attack>, Tensor, Tensor, string)[]
                 {
                     ("PGD-5 without random start, ε = 0.1", m => Remote.RemoteRecipes.Pgd(m, 0.1, steps: 5, randomStart: false), first, firstLabels, "64 test images"),
                     ("FGSM, ε = 0.05", m => Remote.RemoteRecipes.Fgsm(m, 0.05), first, firstLabels, "64 test images"),
                     (randomAttack.Item1, randomAttack.Item2, randomImages, randomLabels, "64 random test images"),
                 })
        {
            using var student = FreshModel();
            using var reference = FreshModel();
            using var studentOptimizer = Remote.RemoteRecipes.Sgd(student, 0.5);
            using var referenceOptimizer = optim.SGD(reference.parameters(), 0.5);
            var before = Parameters(student);
            // Stale gradients from an earlier batch, as a training loop leaves them: a step must not add to them.
            LeaveStaleGradients(student);
            LeaveStaleGradients(reference);
            student.train();
            reference.train();
            string call = $"AdversarialTrainingStep(an MLP, SGD lr 0.5, {attackName}, {what}, labels)";

            double loss = step(student, studentOptimizer, makeAttack(student), images.clone(), labels.clone());
            double expectedLoss = ReferenceStep(reference, referenceOptimizer, makeAttack(reference), images, labels);

            if (!student.training)
                return CheckResult.Fail($"{call} left the model in evaluation mode; the attack puts it in eval mode and back by itself, and the step trains it — leave it in train mode.");
            var after = Parameters(student);
            var expected = Parameters(reference);
            if (MaxDifference(after, before) < 1e-9)
                return CheckResult.Fail($"{call} did not change the model's parameters: call loss.backward() and then optimizer.step().");
            if (double.IsNaN(loss) || Math.Abs(loss - expectedLoss) > 1e-4 * Math.Max(1, Math.Abs(expectedLoss)))
                return CheckResult.Fail($"{call} returned the loss {F(loss)}; the cross-entropy (mean over the batch) of the model on the " +
                                        $"attack's output, before the update, is {F(expectedLoss)}." + LossHint(loss, images, labels));
            double difference = MaxDifference(after, expected);
            if (difference <= 1e-5) continue;
            string hint = Diagnose(makeAttack, images, labels, before, after);
            return CheckResult.Fail($"{call}: the updated parameters differ from the expected step by up to {F(difference)}. Hint: {hint}.");
        }
        return CheckResult.Pass("AdversarialTrainingStep trains on the attack's output: the loss and the updated parameters match the reference step for PGD and FGSM, and for a random attack on random test images");
    }

    /// <summary>A hint for a wrong returned loss: is it the clean loss?</summary>
    private static string LossHint(double loss, Tensor images, Tensor labels)
    {
        using var model = FreshModel();
        using var noGrad = no_grad();
        double clean = nn.functional.cross_entropy(model.forward(images), labels).item<float>();
        return Math.Abs(loss - clean) < 1e-4 * Math.Max(1, clean)
            ? " That is the loss on the clean images: attack first (attack.Run(images, labels)) and compute the loss on its output."
            : " Return loss.item<float>() of that cross-entropy.";
    }

    /// <summary>Which common mistake explains the parameters the student's step produced.</summary>
    private static string Diagnose(Func<nn.Module<Tensor, Tensor>, Attack> makeAttack, Tensor images, Tensor labels,
                                   IReadOnlyList<Tensor> before, IReadOnlyList<Tensor> after)
    {
        using (var onClean = FreshModel())
        using (var optimizer = optim.SGD(onClean.parameters(), 0.5))
        {
            onClean.train();
            optimizer.zero_grad();
            nn.functional.cross_entropy(onClean.forward(images), labels).backward();
            optimizer.step();
            if (MaxDifference(after, Parameters(onClean)) < 1e-5)
                return "the model was trained on the clean images; compute the loss on the attack's output instead";
        }
        using (var stale = FreshModel())
        using (var optimizer = optim.SGD(stale.parameters(), 0.5))
        {
            LeaveStaleGradients(stale);
            stale.train();
            var adversarial = makeAttack(stale).Run(images, labels);
            nn.functional.cross_entropy(stale.forward(adversarial), labels).backward();
            optimizer.step();
            if (MaxDifference(after, Parameters(stale)) < 1e-5)
                return "the gradients of an earlier batch were added to this one's: call optimizer.zero_grad() before loss.backward()";
        }
        return "attack the batch once with attack.Run(images, labels), zero the gradients, take the mean cross-entropy of the model " +
               "on the adversarial batch, call backward() and optimizer.step() once";
    }

    /// <summary>One adversarial-training step as the exercise asks for it.</summary>
    private static double ReferenceStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Attack attack, Tensor images, Tensor labels)
    {
        var adversarial = attack.Run(images, labels);
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.forward(adversarial), labels);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>An MLP with the same initial weights every time.</summary>
    private static nn.Module<Tensor, Tensor> FreshModel()
    {
        manual_seed(31);
        return ModelZoo.Create("mlp", 10);
    }

    private static void LeaveStaleGradients(nn.Module<Tensor, Tensor> model)
    {
        var noise = ones(4, 1, 28, 28);
        model.forward(noise).pow(2).sum().backward();
    }

    private static List<Tensor> Parameters(nn.Module<Tensor, Tensor> model) =>
        model.parameters().Select(p => p.detach().clone()).ToList();

    private static double MaxDifference(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) =>
        a.Zip(b, (x, y) => (double)(x - y).abs().max().item<float>()).Max();

    [ExerciseCheck(Set, "fast-at-examples")]
    private static CheckResult FastAtExamples(IExerciseContext ctx)
    {
        var make = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, double, double, Generator, Tensor>>("FastAtExamples");
        using var scope = NewDisposeScope();
        var model = Baseline;
        var (first, firstLabels) = FirstTestImages(32);
        // Fresh last: random test images, ε, α (below or above ε) and generator seed, which the submission cannot predict.
        var random = FreshInputs.NewRandom();
        var (randomImages, randomLabels, _) = RandomTestImages(random, 32);
        double randomEps = Between(random, 0.02, 0.15);
        var cases = new[]
        {
            (first, firstLabels, 0.1, 0.125, 5UL, "32 test images"),
            (first, firstLabels, 0.05, 0.02, 5UL, "32 test images"),
            (randomImages, randomLabels, randomEps, Math.Round(randomEps * Between(random, 0.3, 1.5), 4), FreshInputs.NewSeed(), "32 random test images"),
        };
        foreach (var (images, labels, eps, alpha, seed, what) in cases)
        {
            var (imagesCopy, labelsCopy) = (images.clone(), labels.clone());
            string call = $"FastAtExamples(baseline, {what}, labels, ε = {F(eps)}, α = {F(alpha)}, new Generator({seed}))";
            var got = make(model, imagesCopy, labelsCopy, eps, alpha, new Generator(seed));
            if (ShapeProblem(call, got, images) is { } shapeProblem) return CheckResult.Fail(shapeProblem);
            if (!Same(imagesCopy, images))
                return CheckResult.Fail($"{call} changed the images it was given; build new tensors instead.");
            if (got.requires_grad)
                return CheckResult.Fail($"{call} returned a tensor that still requires gradients; return result.detach().");
            got = got.detach().cpu().to_type(ScalarType.Float32);
            float low = got.min().item<float>(), high = got.max().item<float>();
            if (low < -1e-6 || high > 1 + 1e-6)
                return CheckResult.Fail($"{call}: pixel values range over [{F(low)}, {F(high)}]; clamp the result to [0, 1].");
            double largest = Perturbations.Norms(got - images, Norm.LInf).max().item<float>();
            if (largest > eps + 1e-5)
                return CheckResult.Fail($"{call}: a pixel moved {F(largest)} > ε: clip the perturbation (result − images) to [−ε, ε] " +
                                        "after the step — with α > ε the step alone leaves the ball.");
            var expected = Reference(model, images, labels, eps, alpha, new Generator(seed));
            long mismatched = (got - expected).abs().gt(1e-4).sum().item<long>(), total = got.numel();
            if (mismatched <= 0.001 * total) continue;
            string hint;
            var fromClean = (images + Perturbations.Project(images + alpha * Perturbations.SteepestAscent(Gradient(model, images, labels), Norm.LInf) - images, eps, Norm.LInf)).clamp(0, 1);
            if ((got - fromClean).abs().gt(1e-4).sum().item<long>() <= 0.001 * total)
                hint = "this is FGSM from the clean image; fast AT starts from a random point: x0 = clamp(images + Perturbations.RandomStart(images, ε, Norm.LInf, generator), 0, 1)";
            else if ((got - expected).abs().max().item<float>() > 0 && ((got - images) * (expected - images)).lt(0).sum().item<long>() > total / 4)
                hint = "many pixels move the wrong way: step UP the loss, x0 + α·sign(∇)";
            else
                hint = "draw the start with Perturbations.RandomStart(images, ε, Norm.LInf, generator) (once, with the generator you are given), clamp x0 to [0, 1], " +
                       "take the gradient of the cross-entropy at x0, step α·sign(gradient) from x0, clip (x' − images) to [−ε, ε], clamp to [0, 1]";
            return CheckResult.Fail($"{call}: {mismatched} of {total} pixels differ from the expected examples " +
                                    $"(largest difference {F((got - expected).abs().max().item<float>())}). Hint: {hint}.");
        }
        return CheckResult.Pass("FastAtExamples matches FGSM from a uniform random start, projected onto the ε-ball and the image box, for α above and below ε and on random test images, ε, α and seed");
    }

    /// <summary>Fast AT's inner step (Wong et al. 2020) from the library's pieces.</summary>
    private static Tensor Reference(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, double eps, double alpha, Generator generator)
    {
        var start = (images + Perturbations.RandomStart(images, eps, Norm.LInf, generator)).clamp(0, 1);
        var moved = start + alpha * Perturbations.SteepestAscent(Gradient(model, start, labels), Norm.LInf);
        return (images + Perturbations.Project(moved - images, eps, Norm.LInf)).clamp(0, 1).detach();
    }

    private static Tensor Gradient(nn.Module<Tensor, Tensor> model, Tensor at, Tensor labels)
    {
        using var gradients = enable_grad();
        var x = at.detach().clone().requires_grad_(true);
        var loss = nn.functional.cross_entropy(model.forward(x), labels, reduction: nn.Reduction.Sum);
        return autograd.grad(new[] { loss }, new[] { x })[0].detach();
    }

    /// <summary>Check images behind every invented accuracy: the sampling noise of a run's curve (binomial, 200 images).</summary>
    internal const int FastAtCheckImages = 200;

    [ExerciseCheck(Set, "read-fast-at-runs")]
    private static CheckResult ReadFastAtRuns(IExerciseContext ctx)
    {
        var read = ctx.Evaluate<Func<double[], double[], double[], (bool Collapsed, int RestoreCheck)>>("ReadFastAtRun");
        // Fresh runs every time: the curves cannot be memorised, only read.
        var runs = FastAtRuns(FreshInputs.NewRandom());
        int collapsedRuns = runs.Count(r => r.CollapseStart is not null);
        foreach (var run in runs)
        {
            string call = $"ReadFastAtRun on {run.Description} (PGD {string.Join(", ", run.Pgd.Select(p => $"{p * 100:F0}%"))}; " +
                          $"FGSM-train {string.Join(", ", run.FgsmTrain.Select(p => $"{p * 100:F0}%"))}; clean {string.Join(", ", run.Clean.Select(p => $"{p * 100:F0}%"))})";
            var (collapsed, restore) = read(run.FgsmTrain.ToArray(), run.Clean.ToArray(), run.Pgd.ToArray());
            if (run.CollapseStart is { } start)
            {
                if (!collapsed)
                    return CheckResult.Fail($"{call} returned Collapsed = false, but this run overfitted catastrophically at check {start}: PGD accuracy fell to " +
                                            $"{run.Pgd[start] * 100:F0}% while accuracy on its own FGSM batches rose to or above clean accuracy. A rule that waits for a " +
                                            "large drop from the best value misses a collapse that comes before PGD accuracy had risen far.");
                double bestBefore = run.Pgd.Take(start).Max();
                if (restore < 0 || restore >= start || run.Pgd[restore] < bestBefore - RestoreTolerance)
                    return CheckResult.Fail($"{call} returned RestoreCheck = {restore}; restore the weights of a check before the collapse (checks 0–{start - 1}) " +
                                            $"whose PGD accuracy is near the best one before it ({bestBefore * 100:F0}%).");
            }
            else
            {
                if (collapsed)
                    return CheckResult.Fail($"{call} returned Collapsed = true, but this run did not collapse: its PGD accuracy moves by sampling noise " +
                                            $"(±{200 * Math.Sqrt(0.25 / FastAtCheckImages):F0} points at most on {FastAtCheckImages} images), and accuracy on its " +
                                            "FGSM training batches stays below clean accuracy. A dip of a few points, or a model that is only weakly robust, is not a collapse.");
                if (restore < 0 || restore >= run.Pgd.Count || run.Pgd[restore] < run.Pgd.Max() - RestoreTolerance)
                    return CheckResult.Fail($"{call} returned RestoreCheck = {restore}; keep a check whose PGD accuracy is near the best of the run ({run.Pgd.Max() * 100:F0}%).");
            }
        }
        return CheckResult.Pass($"ReadFastAtRun read {runs.Count} fresh runs right ({collapsedRuns} catastrophic collapses, among them one before PGD accuracy had risen far; " +
                                "noisy dips and a weakly robust run left alone) and chose a check to restore near the best PGD accuracy before any collapse");
    }

    /// <summary>How far below the best PGD accuracy (before any collapse) a restored check may be: about two standard errors.</summary>
    private const double RestoreTolerance = 0.08;

    /// <summary>An invented fast-AT run: per check, accuracy on the FGSM training batches, clean and PGD accuracy on the check images.</summary>
    internal sealed record FastAtRun(string Description, IReadOnlyList<double> FgsmTrain, IReadOnlyList<double> Clean, IReadOnlyList<double> Pgd, int? CollapseStart);

    /// <summary>
    /// Six runs in random order, shaped like the ones Wong et al. (2020) and chapter 03 describe, with binomial sampling
    /// noise of <see cref="FastAtCheckImages"/> images: a healthy rising run; a healthy run with one dip of 8–12 points
    /// (noise a "drop of more than 5 points" rule mistakes for a collapse); a weakly robust run whose PGD accuracy stays
    /// around 10 % (not a collapse: its FGSM-train accuracy stays below clean); a collapse after a plateau; a collapse
    /// before PGD accuracy passed 19 % (a "20 points below the best" rule cannot see it); and one more collapse at a
    /// random check. The signature of a collapse is PGD accuracy falling towards 0 while FGSM-train accuracy jumps to or
    /// above clean accuracy.
    /// </summary>
    internal static IReadOnlyList<FastAtRun> FastAtRuns(Random random)
    {
        double Noisy(double p) => Math.Clamp(Math.Round(p + Gaussian(random) * Math.Sqrt(p * (1 - p) / FastAtCheckImages), 3), 0, 1);
        int n = random.Next(10, 15);
        var runs = new List<FastAtRun>();

        FastAtRun Healthy(string description, double pgdStart, double pgdEnd, int? dipAt, double dip)
        {
            var pgd = new double[n];
            var clean = new double[n];
            var fgsm = new double[n];
            double cleanStart = Between(random, 0.55, 0.65), cleanEnd = Between(random, 0.75, 0.82);
            for (int t = 0; t < n; t++)
            {
                double f = (double)t / (n - 1);
                clean[t] = Noisy(cleanStart + (cleanEnd - cleanStart) * Math.Sqrt(f));
                pgd[t] = Noisy(pgdStart + (pgdEnd - pgdStart) * Math.Sqrt(f));
                // Accuracy on the run's own FGSM batches: between PGD and clean, always clearly below clean.
                fgsm[t] = Math.Min(clean[t] - Between(random, 0.08, 0.2), pgd[t] + Between(random, 0.05, 0.15));
            }
            if (dipAt is { } d)
            {
                // The dip is measured from the check before it, so that a rule reading "any drop of a few points" sees it, and
                // stays within 15 points of the best check so far, so that the monitor's 20-point rule does not.
                double bestBefore = pgd.Take(d).Max();
                pgd[d] = Math.Round(Math.Max(pgd[d - 1] - dip, bestBefore - 0.15), 3);
            }
            return new FastAtRun(description, fgsm, clean, pgd, null);
        }

        FastAtRun Collapse(string description, int start, double peak)
        {
            var pgd = new double[n];
            var clean = new double[n];
            var fgsm = new double[n];
            double cleanStart = Between(random, 0.55, 0.65), cleanEnd = Between(random, 0.75, 0.82);
            double pgdStart = Math.Min(peak - 0.02, Between(random, 0.08, 0.15));
            for (int t = 0; t < n; t++)
            {
                double f = (double)t / (n - 1);
                clean[t] = Noisy(cleanStart + (cleanEnd - cleanStart) * Math.Sqrt(f));
                if (t < start)
                {
                    double g = start == 1 ? 1 : (double)t / (start - 1);
                    pgd[t] = Math.Min(peak, Noisy(pgdStart + (peak - pgdStart) * g));
                    fgsm[t] = Math.Min(clean[t] - Between(random, 0.08, 0.2), pgd[t] + Between(random, 0.05, 0.15));
                }
                else
                {
                    // Collapsed: PGD accuracy near 0, the model defeats its own single-step attack (above clean accuracy).
                    pgd[t] = Between(random, 0.0, 0.03);
                    fgsm[t] = Math.Min(0.99, clean[t] + Between(random, 0.03, 0.12));
                }
            }
            return new FastAtRun(description, fgsm, clean, pgd, start);
        }

        runs.Add(Healthy("a healthy run", Between(random, 0.2, 0.3), Between(random, 0.42, 0.52), null, 0));
        int dipAt = random.Next(3, n - 2);
        runs.Add(Healthy($"a healthy run with a noisy dip at check {dipAt}", Between(random, 0.2, 0.3), Between(random, 0.42, 0.52), dipAt, Between(random, 0.08, 0.12)));
        var weak = Healthy("a weakly robust run", Between(random, 0.08, 0.12), Between(random, 0.1, 0.14), null, 0);
        var weakPgd = weak.Pgd.ToArray();
        weakPgd[random.Next(1, n)] = Between(random, 0.04, 0.08);
        runs.Add(weak with { Pgd = weakPgd });
        runs.Add(Collapse("a run that collapses after a plateau", random.Next(5, n - 2), Between(random, 0.4, 0.5)));
        runs.Add(Collapse("a run that collapses early", random.Next(2, 4), Between(random, 0.15, 0.19)));
        runs.Add(Collapse("another run", random.Next(3, n - 1), Between(random, 0.25, 0.45)));
        return runs.OrderBy(_ => random.Next()).ToList();
    }
}
