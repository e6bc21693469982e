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
/// library's pieces and the same random numbers.
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
}
