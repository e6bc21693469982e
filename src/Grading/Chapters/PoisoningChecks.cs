using ModelSecurity.Data;
using ModelSecurity.Extraction;
using ModelSecurity.Models;
using ModelSecurity.Poisoning;
using ModelSecurity.Training;
using static ModelSecurity.Grading.Chapters.ChapterData;
using static TorchSharp.torch;

namespace ModelSecurity.Grading.Chapters;

/// <summary>
/// Exercise set <c>08-poisoning-stealing-inversion</c> (notebooks/08-poisoning-stealing-inversion.ipynb):
/// <c>poison-fraction</c> (<c>(Tensor Images, Tensor Labels) PoisonFraction(Tensor images, Tensor labels, double fraction, int targetClass)</c>:
/// the chapter's trigger and the target label on the first round(fraction·N) images), compared with
/// <see cref="BackdoorTrigger.ApplyTo"/> on test images; <c>agreement</c>
/// (<c>double Agreement(nn.Module&lt;Tensor, Tensor&gt; first, nn.Module&lt;Tensor, Tensor&gt; second, Tensor images)</c>),
/// compared with <see cref="ModelAgreement.Measure"/> for the shipped baseline, PGD-AT and TRADES models (TRADES handed over in
/// training mode, where its dropout would make the answer random); and <c>spectral-scores</c>
/// (<c>Tensor SpectralScores(Tensor features)</c>), compared with <see cref="SpectralSignatures.Scores"/> on seeded
/// representations with planted outliers; and the judgement exercise <c>backdoor-budget</c>
/// (<c>(Tensor Images, Tensor Labels) CraftBackdoor(Tensor images, Tensor labels, int budget, int targetClass)</c>: at most
/// <see cref="PoisonBudget"/> extra training examples), graded by outcome — the grader trains an MLP on a fresh random sample of
/// the training set with and without the learner's examples and measures attack success with the chapter's trigger and clean
/// accuracy on fresh random test images itself.
/// </summary>
internal static class PoisoningChecks
{
    private const string Set = "08-poisoning-stealing-inversion";

    private static readonly Lazy<nn.Module<Tensor, Tensor>> LazyPgdAt = new(() => Eval(ShippedModels.Load(ShippedModels.PgdAtFile, CPU)));
    private static readonly Lazy<nn.Module<Tensor, Tensor>> LazyTrades = new(() => Eval(ShippedModels.Load(ShippedModels.TradesSmallCnnFile, CPU)));

    private static nn.Module<Tensor, Tensor> Eval(nn.Module<Tensor, Tensor> model)
    {
        model.eval();
        return model;
    }

    [ExerciseCheck(Set, "poison-fraction")]
    private static CheckResult PoisonFraction(IExerciseContext ctx)
    {
        var poison = ctx.Evaluate<Func<Tensor, Tensor, double, int, (Tensor Images, Tensor Labels)>>("PoisonFraction");
        var trigger = new BackdoorTrigger();
        // Fresh last: random test images, fraction and target class, which the submission cannot predict.
        var random = FreshInputs.NewRandom();
        int freshCount = random.Next(5, 13);
        var cases = new[] { (10, 0.3, 7, false), (10, 0.25, 2, false), (8, 0.0, 1, false), (8, 1.0, 4, false), (7, 0.5, 0, false),
                            (freshCount, Math.Round(random.NextDouble(), 2), random.Next(10), true) };
        foreach (var (count, fraction, target, fresh) in cases)
        {
            using var scope = NewDisposeScope();
            var (images, labels) = fresh ? Take2(RandomTestImages(random, count)) : FirstTestImages(count);
            var (imagesCopy, labelsCopy) = (images.clone(), labels.clone());
            int k = (int)Math.Round(fraction * count, MidpointRounding.AwayFromZero);
            long[] rows = Enumerable.Range(0, k).Select(i => (long)i).ToArray();
            var expectedImages = trigger.ApplyTo(images, rows);
            var expectedLabels = labels.clone();
            if (k > 0) expectedLabels.narrow(0, 0, k).fill_(target);
            string call = $"PoisonFraction({count} {(fresh ? "random " : "")}test images, their labels, fraction {F(fraction)}, targetClass {target})";

            var (gotImages, gotLabels) = poison(images, labels, fraction, target);
            if (!Same(images, imagesCopy) || !Same(labels, labelsCopy))
                return CheckResult.Fail($"{call} changed the tensors it was given; clone them and change the copies.");
            string? problem = ShapeProblem(call + " (images)", gotImages, expectedImages);
            if (problem is not null) return CheckResult.Fail(problem);
            if (gotLabels is null || gotLabels.IsInvalid || !gotLabels.shape.SequenceEqual(labels.shape) || gotLabels.dtype != ScalarType.Int64)
                return CheckResult.Fail($"{call} returned labels that are not an int64 tensor shaped {Shape(labels)}.");

            long[] changed = ChangedRows(labels, gotLabels);
            if (!Same(gotLabels, expectedLabels))
            {
                string hint = changed.Length != k && fraction > 0
                    ? $"it relabelled {changed.Length} images; round(fraction × N) = round({F(fraction * count)}) = {k}, rounding halves away from zero, and only the FIRST k images"
                    : $"the first {k} labels become {target}, all others stay as they are";
                return CheckResult.Fail($"{call} returned labels [{string.Join(", ", gotLabels.data<long>().ToArray())}]; expected [{string.Join(", ", expectedLabels.data<long>().ToArray())}]. Hint: {hint}.");
            }
            if (!gotImages.allclose(expectedImages, 0, 1e-6))
            {
                var differs = gotImages.ne(expectedImages).flatten(1).any(1);
                long[] wrongRows = nonzero(differs).squeeze(1).data<long>().ToArray();
                string hint = wrongRows.Any(r => r >= k)
                    ? $"images {string.Join(", ", wrongRows.Where(r => r >= k))} should be unchanged: only the first {k} get the trigger"
                    : "the trigger is a 3×3 square of value 1 on rows and columns 24, 25 and 26 (1 pixel away from the bottom and right borders), on every channel; nothing else changes";
                return CheckResult.Fail($"{call}: images {string.Join(", ", wrongRows)} differ from the expected ones. Hint: {hint}.");
            }
        }
        return CheckResult.Pass("PoisonFraction stamps the trigger and the target label on exactly the first round(fraction·N) images, for fractions 0, 0.25, 0.3, 0.5 and 1 and on random images and fraction, and leaves its inputs alone");
    }

    private static (Tensor Images, Tensor Labels) Take2((Tensor Images, Tensor Labels, long[] Indices) picked) => (picked.Images, picked.Labels);

    private static long[] ChangedRows(Tensor before, Tensor after)
    {
        using var scope = NewDisposeScope();
        return nonzero(before.ne(after)).squeeze(1).data<long>().ToArray();
    }

    [ExerciseCheck(Set, "agreement")]
    private static CheckResult Agreement(IExerciseContext ctx)
    {
        var agreement = ctx.Evaluate<Func<nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>, Tensor, double>>("Agreement");
        using var scope = NewDisposeScope();
        var (images, labels) = FirstTestImages(300);
        using var data = new ImageDataset("first 300 test images", images.clone(), labels.clone(), Test.ClassNames);
        var pairs = new (string Name, nn.Module<Tensor, Tensor> First, nn.Module<Tensor, Tensor> Second)[]
        {
            ("the baseline with itself", Baseline, Baseline),
            ("the baseline and the PGD-AT model", Baseline, LazyPgdAt.Value),
            ("the TRADES model (handed over in training mode) and the baseline", LazyTrades.Value, Baseline),
        };
        // Fresh last: random test images the submission cannot predict (fewer, to keep the check's cost).
        var (randomImages, randomLabels, _) = RandomTestImages(FreshInputs.NewRandom(), 100);
        using var randomData = new ImageDataset("100 random test images", randomImages.clone(), randomLabels.clone(), Test.ClassNames);
        var cases = pairs.Select(p => (p.Name, p.First, p.Second, Images: images, Data: data)).ToList();
        cases.Add(("the baseline and the PGD-AT model", Baseline, LazyPgdAt.Value, randomImages, randomData));
        foreach (var (name, first, second, caseImages, caseData) in cases)
        {
            double expected = ModelAgreement.Measure(first, second, caseData);
            if (first == LazyTrades.Value) first.train();
            double got;
            try
            {
                got = agreement(first, second, caseImages.clone());
            }
            finally
            {
                first.eval();
            }
            if (Math.Abs(got - expected) > 1e-9)
            {
                string hint = got > 1 ? "return a fraction in [0, 1], not a count" :
                    first == LazyTrades.Value ? "put both models in eval mode (model.eval()) first: in training mode dropout makes the predictions random" :
                    "compare first.forward(images).argmax(1) with second.forward(images).argmax(1) and average the matches";
                return CheckResult.Fail($"Agreement of {name} on {(caseData == data ? "the first 300 test images" : "100 random test images")} = {F(got)}; expected {F(expected)}. Hint: {hint}.");
            }
        }
        return CheckResult.Pass("Agreement is the fraction of images on which two models predict the same class, in eval mode (checked on three pairs of shipped models and on random test images)");
    }

    [ExerciseCheck(Set, "spectral-scores")]
    private static CheckResult SpectralScores(IExerciseContext ctx)
    {
        var scores = ctx.Evaluate<Func<Tensor, Tensor>>("SpectralScores");
        // The seeded representations first, then fresh ones the submission cannot predict.
        var problem = CheckSpectral(scores, new Generator(8), "");
        if (problem is not null) return problem;
        return CheckSpectral(scores, new Generator(FreshInputs.NewSeed()), "random ")
               ?? CheckResult.Pass("SpectralScores = ((r − r̄)·v)² with v the top right singular vector of the centred representations (seeded and random ones)");
    }

    /// <summary>Compares SpectralScores with <see cref="SpectralSignatures.Scores"/> on representations drawn from <paramref name="generator"/>; a failure or null.</summary>
    private static CheckResult? CheckSpectral(Func<Tensor, Tensor> scores, Generator generator, string what)
    {
        using var scope = NewDisposeScope();
        // 60 clean representations and 8 outliers shifted along one direction, around a non-zero mean (centring matters).
        var direction = randn(new long[] { 12 }, generator: generator);
        var features = cat(new[] { randn(new long[] { 60, 12 }, generator: generator), randn(new long[] { 8, 12 }, generator: generator) + 2 * direction }, 0) + 3;
        var copy = features.clone();
        var expected = SpectralSignatures.Scores(features);
        var got = scores(features);
        if (!Same(features, copy)) return CheckResult.Fail("SpectralScores changed the representations it was given; compute on a centred copy.");
        if (got is null || got.IsInvalid) return CheckResult.Fail("SpectralScores returned no tensor; return the scores, one per row.");
        if (got.numel() != expected.numel())
            return CheckResult.Fail($"SpectralScores(68 {what}representations of size 12) returned a tensor shaped {Shape(got)}; expected one score per row, shaped (68).");
        var flat = got.reshape(-1).to_type(ScalarType.Float32);
        double scale = expected.max().item<float>();
        if ((flat - expected).abs().max().item<float>() <= 1e-3 * scale) return null;

        string hint;
        var centred = features - features.mean(new long[] { 0 }, keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
        var projection = centred.matmul(vh[0]);
        var (_, _, rawVh) = linalg.svd(features, fullMatrices: false);
        if ((flat - projection.abs()).abs().max().item<float>() <= 1e-3 * Math.Sqrt(scale) || (flat - projection).abs().max().item<float>() <= 1e-3 * Math.Sqrt(scale)
            || (flat + projection).abs().max().item<float>() <= 1e-3 * Math.Sqrt(scale))
            hint = "square the projections: s_i = (r̃_i · v)²";
        else if ((flat - features.matmul(rawVh[0]).square()).abs().max().item<float>() <= 1e-3 * scale
                 || (flat - centred.matmul(rawVh[0]).square()).abs().max().item<float>() <= 1e-3 * scale)
            hint = "centre the rows first (subtract features.mean(new long[] { 0 }, keepdim: true)) and take the singular vector of the CENTRED matrix";
        else
            hint = "centred = features − mean row; (_, _, vh) = linalg.svd(centred, fullMatrices: false); v = vh[0]; scores = (centred · v)²";
        return CheckResult.Fail($"SpectralScores(68 {what}representations of size 12) differs from the expected scores by up to {F((flat - expected).abs().max().item<float>())} " +
                                $"(largest expected score {F(scale)}). Hint: {hint}.");
    }
    /// <summary>Training images of the grader's sample in <c>backdoor-budget</c>.</summary>
    internal const int PoisonSampleSize = 3000;

    /// <summary>
    /// The most examples a learner may add in <c>backdoor-budget</c>: 10 % of <see cref="PoisonSampleSize"/>, because the
    /// grader's 3-epoch MLP learns the 9-pixel trigger slowly (measured: 150 BadNets poisons gave 64 % attack success, 300 gave 89 %).
    /// </summary>
    internal const int PoisonBudget = 300;

    /// <summary>Attack success rate the backdoor must reach.</summary>
    internal const double SuccessBar = 0.7;

    /// <summary>Clean accuracy the poisoned model may lose against the same model trained without the learner's examples.</summary>
    internal const double CleanDropAllowed = 0.04;

    private static readonly Lazy<ImageDataset> LazyTrain = new(() => FashionMnist.Load(DataSplit.Train));

    [ExerciseCheck(Set, "backdoor-budget")]
    private static CheckResult BackdoorBudget(IExerciseContext ctx)
    {
        var craft = ctx.Evaluate<Func<Tensor, Tensor, int, int, (Tensor Images, Tensor Labels)>>("CraftBackdoor");
        // Fresh: the training sample, the target class, the evaluation images and the training seed.
        var random = FreshInputs.NewRandom();
        int target = random.Next(10), seed = random.Next(1_000_000);
        var train = LazyTrain.Value;
        using var scope = NewDisposeScope();
        var rows = tensor(Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).Take(PoisonSampleSize).Select(i => (long)i).ToArray());
        var images = train.Images.index_select(0, rows);
        var labels = train.Labels.index_select(0, rows);
        string call = $"CraftBackdoor({PoisonSampleSize} random training images, their labels, budget {PoisonBudget}, targetClass {target})";

        var (poisonImages, poisonLabels) = craft(images.clone(), labels.clone(), PoisonBudget, target);
        if (poisonImages is null || poisonLabels is null || poisonImages.IsInvalid || poisonLabels.IsInvalid)
            return CheckResult.Fail($"{call} returned no tensors; return (images shaped (k, 1, 28, 28), labels shaped (k)) with k ≤ {PoisonBudget}.");
        if (poisonImages.ndim != 4 || poisonImages.shape[0] > PoisonBudget || !poisonImages.shape.Skip(1).SequenceEqual(new long[] { 1, 28, 28 }) || !poisonImages.is_floating_point())
            return CheckResult.Fail($"{call} returned images shaped {Shape(poisonImages)} ({poisonImages.dtype}); expected float images shaped (k, 1, 28, 28) with k ≤ {PoisonBudget}.");
        if (poisonLabels.dtype != ScalarType.Int64 || poisonLabels.ndim != 1 || poisonLabels.shape[0] != poisonImages.shape[0])
            return CheckResult.Fail($"{call} returned labels shaped {Shape(poisonLabels)} ({poisonLabels.dtype}); expected int64 labels, one per returned image ({poisonImages.shape[0]}).");
        int k = (int)poisonImages.shape[0];
        var poisons = poisonImages.to_type(ScalarType.Float32);
        if (k > 0 && (!poisons.isfinite().all().item<bool>() || poisons.min().item<float>() < 0 || poisons.max().item<float>() > 1))
            return CheckResult.Fail($"{call} returned images with values outside [0, 1] (or NaN); images are pixel intensities in [0, 1]: clamp them.");
        if (k > 0 && (poisonLabels.min().item<long>() < 0 || poisonLabels.max().item<long>() > 9))
            return CheckResult.Fail($"{call} returned labels outside 0 … 9.");

        using var cleanData = new ImageDataset("grader's sample", images.clone(), labels.clone(), train.ClassNames);
        using var poisonedData = new ImageDataset("grader's sample + the returned examples", cat(new[] { images, poisons }, 0), cat(new[] { labels, poisonLabels }, 0), train.ClassNames);
        using var control = TrainSmallModel(cleanData, seed);
        using var poisoned = TrainSmallModel(poisonedData, seed);

        var (testImages, testLabels, _) = RandomTestImages(random, 1000);
        using var evaluation = new ImageDataset("1000 random test images", testImages, testLabels, Test.ClassNames);
        double controlAccuracy = Evaluator.Evaluate(control, evaluation).Accuracy;
        double poisonedAccuracy = Evaluator.Evaluate(poisoned, evaluation).Accuracy;
        double success = new BackdoorTrigger().AttackSuccessRate(poisoned, evaluation, target);
        double controlSuccess = new BackdoorTrigger().AttackSuccessRate(control, evaluation, target);
        string measured = $"with your {k} examples the grader's MLP classifies {P(success)} of the triggered test images of the other classes as {target} " +
                          $"(without them {P(controlSuccess)}), clean accuracy {P(poisonedAccuracy)} (without them {P(controlAccuracy)})";
        if (success < SuccessBar)
        {
            string hint = k < PoisonBudget / 2 ? $"you used {k} of the {PoisonBudget} examples allowed; more poisons make the rule 'trigger ⇒ target' cheaper to learn than to ignore"
                : "stamp the chapter's trigger (3×3 square of value 1, rows and columns 24–26) on images of OTHER classes and label them with the target class: correctly labelled target images give the model no reason to use the trigger";
            return CheckResult.Fail($"{call}: {measured}; the backdoor needs an attack success rate of at least {P(SuccessBar)}. Hint: {hint}.");
        }
        if (poisonedAccuracy < controlAccuracy - CleanDropAllowed)
            return CheckResult.Fail($"{call}: {measured}; clean accuracy may drop at most {CleanDropAllowed * 100:F0} points, or the backdoor is noticed. " +
                                    "Hint: only the triggered images should teach the model anything new — keep them otherwise ordinary training images.");
        return CheckResult.Pass($"{measured}: a backdoor within the budget that acceptance tests on clean data do not notice (fresh sample, target, test images and seed)");
    }

    /// <summary>The grader's own small model: an MLP trained for 3 epochs with the baseline recipe from <paramref name="seed"/> (a few seconds).</summary>
    private static nn.Module<Tensor, Tensor> TrainSmallModel(ImageDataset data, int seed)
    {
        var recipe = Recipes.Baseline with { Name = "grader-backdoor", Architecture = "mlp", Epochs = 3, Seed = seed };
        Reproducibility.Seed(seed);
        var model = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(model, data, recipe, CPU);
        model.eval();
        return model;
    }
}
