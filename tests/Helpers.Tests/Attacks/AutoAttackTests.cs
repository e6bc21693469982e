using ModelSecurity.Attacks;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class AutoAttackTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    [Fact]
    public void DlrLossMatchesAHandComputation()
    {
        using var scope = NewDisposeScope();
        // Sorted logits: 3 (class 0), 2 (class 2), 1 (class 1), 0.5 (class 3).
        var logits = tensor(new float[] { 3, 1, 2, 0.5f, 3, 1, 2, 0.5f }, new long[] { 2, 4 });
        var labels = tensor(new long[] { 0, 2 });
        var untargeted = DlrLoss.Untargeted(logits, labels).data<float>().ToArray();
        Assert.Equal(-(3 - 2) / (3 - 1.0), untargeted[0], 5);   // correct: −(z_y − max other)/(z_π1 − z_π3)
        Assert.Equal(-(2 - 3) / (3 - 1.0), untargeted[1], 5);   // misclassified: positive
        var targets = tensor(new long[] { 3, 1 });
        var targeted = DlrLoss.Targeted(logits, labels, targets).data<float>().ToArray();
        Assert.Equal(-(3 - 0.5) / (3 - (1 + 0.5) / 2), targeted[0], 5);   // −(z_y − z_t)/(z_π1 − (z_π3 + z_π4)/2)
        Assert.Equal(-(2 - 1) / (3 - (1 + 0.5) / 2), targeted[1], 5);
        // Invariant to shifting and scaling the logits, unlike cross-entropy.
        var scaled = DlrLoss.Targeted(logits * 7 + 3, labels, targets).data<float>().ToArray();
        Assert.Equal(targeted[0], scaled[0], 4);
        Assert.Throws<ArgumentException>(() => DlrLoss.Targeted(zeros(2, 3), labels, targets));
    }

    [Fact]
    public void SquareStaysInTheBudgetAndQueryLimitAndFindsTheExampleALinearModelProvablyHas()
    {
        using var scope = NewDisposeScope();
        // Class 1 iff Σx > 8.5; the images have Σx = 8 (16 pixels at 0.5). Adding ε = 0.1 to every pixel gives Σx = 9.6,
        // so an adversarial example exists in the ball; with ε = 0.02 the largest reachable sum is 8.32, so none does.
        var weight = new float[2, 16];
        for (int f = 0; f < 16; f++) weight[1, f] = 1;
        using var model = new ToyModels.Linear(weight, new float[] { 0, -8.5f });
        var images = full(new long[] { 6, 1, 4, 4 }, 0.5f);
        var labels = zeros(6, dtype: ScalarType.Int64);

        var square = new SquareAttack(model, 0.1, maxQueries: 400, seed: 3) { RescaleSchedule = false };
        var adversarial = square.Run(images, labels);
        Assert.True(Perturbations.Norms(adversarial - images, Norm.LInf).max().item<float>() <= 0.1 + 1e-6);
        Assert.All(square.LastRun!.QueriesPerExample, q => Assert.InRange(q, 1, 400));
        Assert.All(square.LastRun.SucceededPerExample, Assert.True);
        using (no_grad()) Assert.True(model.forward(adversarial).argmax(1).eq(1).all().item<bool>());

        var impossible = new SquareAttack(model, 0.02, maxQueries: 50, seed: 3);
        impossible.Run(images, labels);
        Assert.All(impossible.LastRun!.QueriesPerExample, q => Assert.Equal(50, q));   // the whole budget, and not one query more
        Assert.All(impossible.LastRun.SucceededPerExample, Assert.False);
    }

    [Fact]
    public void SquareScheduleAndWindowFollowTheReference()
    {
        Assert.Equal(0.8, SquareAttack.Fraction(0.8, 10, 5000, rescale: false));
        Assert.Equal(0.4, SquareAttack.Fraction(0.8, 11, 5000, rescale: false));
        Assert.Equal(0.8 / 512, SquareAttack.Fraction(0.8, 8001, 10000, rescale: false));
        Assert.Equal(0.8 / 64, SquareAttack.Fraction(0.8, 4000, 5000, rescale: false));
        Assert.Equal(0.8 / 128, SquareAttack.Fraction(0.8, 4001, 5000, rescale: false));
        Assert.Equal(25, SquareAttack.WindowSide(0.8, 1, 28, 28));   // round(√(0.8·784)) = 25
        Assert.Equal(29, SquareAttack.WindowSide(0.8, 3, 32, 32));   // p is a fraction of the pixels, not of pixels/channels
    }

    [Fact]
    public void FabFindsNoLargerPerturbationThanTheSmallestPgdFinds()
    {
        using var scope = NewDisposeScope();
        // A 4-class linear model on 1×3×3 inputs: the minimal L∞ perturbation is where FAB's linearisation is exact.
        var random = new Random(5);
        var weight = new float[4, 9];
        for (int c = 0; c < 4; c++)
            for (int f = 0; f < 9; f++) weight[c, f] = (float)(random.NextDouble() * 2 - 1);
        using var model = new ToyModels.Linear(weight, new float[] { 0.3f, 0, 0, 0 });
        var images = rand(new long[] { 8, 1, 3, 3 }, generator: new Generator(7));
        Tensor labels;
        using (no_grad()) labels = model.forward(images).argmax(1);

        foreach (var norm in new[] { Norm.LInf, Norm.L2 })
        {
            int compared = 0;
            var fab = new FabTargeted(model, epsilon: null, norm, iterations: 100, targetClasses: 3);
            var found = fab.Run(images, labels);
            var fabNorms = Perturbations.Norms(found - images, norm).data<float>().ToArray();
            bool[] fooled;
            using (no_grad()) fooled = model.forward(found).argmax(1).ne(labels).data<bool>().ToArray();
            for (int i = 0; i < 8; i++)
            {
                // Smallest ε at which PGD-50 fools example i, by bisection.
                var x = images.narrow(0, i, 1);
                var y = labels.narrow(0, i, 1);
                double lo = 0, hi = 3;
                bool Fools(double eps)
                {
                    var adversarial = new Pgd(model, eps, steps: 50, norm: norm, seed: 1).Run(x, y);
                    using var noGrad = no_grad();
                    return model.forward(adversarial).argmax(1).ne(y).item<bool>();
                }
                if (!Fools(hi)) continue;   // outside the box reach: nothing to compare
                for (int step = 0; step < 14; step++) { double mid = (lo + hi) / 2; if (Fools(mid)) hi = mid; else lo = mid; }
                Assert.True(fooled[i], $"{norm}: FAB did not fool example {i}, which PGD fools at ε = {hi:G4}");
                Assert.True(fabNorms[i] <= hi * 1.02 + 1e-4, $"{norm}: FAB's perturbation {fabNorms[i]:G5} is larger than PGD's smallest {hi:G5} (example {i})");
                compared++;
            }
            Assert.True(compared >= 6, $"{norm}: only {compared} of 8 examples could be compared");
        }
    }

    [Fact]
    public void FabWithABudgetReturnsValidPointsWhenTheFirstTargetBreaksEverything()
    {
        using var scope = NewDisposeScope();
        var weight = new float[4, 4];
        for (int c = 0; c < 4; c++) weight[c, c] = 1;
        using var model = new ToyModels.Linear(weight, new float[] { 0.05f, 0, 0, 0 });   // class 0 wins by a hair
        var images = full(new long[] { 5, 1, 2, 2 }, 0.5f);
        var labels = zeros(5, dtype: ScalarType.Int64);
        var adversarial = new FabTargeted(model, 0.3, iterations: 20, targetClasses: 3).Run(images, labels);
        Assert.True(Perturbations.Norms(adversarial - images, Norm.LInf).max().item<float>() <= 0.3 + 1e-5);
        using (no_grad()) Assert.True(model.forward(adversarial).argmax(1).ne(labels).all().item<bool>());
    }

    [Fact]
    public void SquareBreaksAGradientMaskedModelThatPgdCannotTouch()
    {
        using var scope = NewDisposeScope();
        // 8-bit input rounding: the decision function is the MLP's, but every input gradient is exactly zero.
        var masked = new ToyModels.Quantized(fixture.Model, 255); // not disposed: it would dispose the shared fixture model
        using var data = fixture.Test.Take(40);
        const double eps = 0.1;
        var report = WorstCaseEvaluator.Evaluate(masked, data,
            [new Pgd(masked, eps, steps: 20, randomStart: false), new Apgd(masked, eps, iterations: 20), new SquareAttack(masked, eps, maxQueries: 1000, seed: 0)],
            Norm.LInf, eps);
        Assert.True(report.CleanCorrect >= 25, $"the masked model should still classify well; {report.CleanCorrect}/40");
        Assert.Equal(0, report.Stages[0].Broken);   // PGD: zero gradient, zero step
        Assert.True(report.Stages[1].Broken <= 2, $"APGD broke {report.Stages[1].Broken}: only its random start can move");
        Assert.True(report.Stages[2].Broken >= report.CleanCorrect / 3,
            $"Square, which never looks at a gradient, broke only {report.Stages[2].Broken} of {report.Stages[2].Attacked}");
    }

    [Fact]
    public void AutoAttackHasTheStandardAttacksAndRefusesOtherVersions()
    {
        var linf = new AutoAttack(fixture.Model, 0.1);
        Assert.Equal("standard", linf.Version);
        Assert.Collection(linf.Attacks,
            a => Assert.StartsWith("APGD-CE-100 ", a.Name),
            a => Assert.StartsWith("APGD-T-100×9 ", a.Name),
            a => Assert.StartsWith("FAB-T-100×9 ", a.Name),
            a => Assert.Contains("5000 queries", a.Name));
        Assert.False(((SquareAttack)linf.Attacks[3]).RescaleSchedule);
        // The reference's attacks stop on a point once it is fooled; the benchmark's variant runs them to the end.
        Assert.Equal([true, true, true], StopsWhenFooled(linf));
        Assert.Equal([false, false, false], StopsWhenFooled(new AutoAttack(fixture.Model, 0.1, stopWhenFooled: false)));
        Assert.Equal(3, new AutoAttack(fixture.Model, 0.5, Norm.L2).Attacks.Count);
        Assert.Throws<ArgumentException>(() => new AutoAttack(fixture.Model, 0.1, version: "plus"));
    }

    private static bool[] StopsWhenFooled(AutoAttack autoAttack) =>
        [.. autoAttack.Attacks.Select(a => a switch { ApgdBase apgd => apgd.StopWhenFooled, FabTargeted fab => fab.StopWhenFooled, _ => (bool?)null })
                              .OfType<bool>()];

    [Fact]
    public void ACustomVersionRunsItsSubsetInTheStandardOrderWithTheSamePerPointResults()
    {
        var custom = new AutoAttack(fixture.Model, 0.1, version: AutoAttack.CustomVersion, attacksToRun: ["square", "apgd-ce"]);
        Assert.Equal("custom: apgd-ce, square", custom.Version);
        Assert.Collection(custom.Attacks, a => Assert.StartsWith("APGD-CE-100 ", a.Name), a => Assert.Contains("5000 queries", a.Name));

        // APGD-CE alone breaks exactly the points the standard ensemble's first stage breaks (same seed, same draws).
        using var data = fixture.Test.Take(30);
        var alone = new AutoAttack(fixture.Model, 0.1, version: AutoAttack.CustomVersion, attacksToRun: ["apgd-ce"]).Evaluate(data);
        var standardFirst = WorstCaseEvaluator.Evaluate(fixture.Model, data, [new AutoAttack(fixture.Model, 0.1).Attacks[0]], Norm.LInf, 0.1);
        Assert.Equal(standardFirst.BrokenBy, alone.BrokenBy);
        Assert.Equal("AutoAttack (custom: apgd-ce)", alone.Name);

        Assert.Throws<ArgumentException>(() => new AutoAttack(fixture.Model, 0.1, version: AutoAttack.CustomVersion));
        Assert.Throws<ArgumentException>(() => new AutoAttack(fixture.Model, 0.1, version: AutoAttack.CustomVersion, attacksToRun: ["pgd"]));
        Assert.Throws<ArgumentException>(() => new AutoAttack(fixture.Model, 0.1, attacksToRun: ["apgd-ce"]));
        Assert.Throws<ArgumentException>(() => new AutoAttack(fixture.Model, 0.5, Norm.L2, AutoAttack.CustomVersion, attacksToRun: ["square"]));
    }
}
