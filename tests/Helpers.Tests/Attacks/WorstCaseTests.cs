using ModelSecurity.Attacks;
using ModelSecurity.Data;
using ModelSecurity.Statistics;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class WorstCaseTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    /// <summary>Moves pixel 0 of the examples with the chosen id parity across the toy model's boundary; leaves the others alone.</summary>
    private sealed class BreaksParity(nn.Module<Tensor, Tensor> model, int parity) : Attack(model, $"breaks ids ≡ {parity} mod 2")
    {
        public int Calls { get; private set; }
        public int RowsAttacked { get; private set; }

        protected override Tensor Perturb(Tensor images, Tensor labels, bool targeted)
        {
            Calls++;
            RowsAttacked += (int)images.shape[0];
            var mask = ExampleIds.Select(id => id % 2 == parity ? 1f : 0f).ToArray();
            var shift = zeros_like(images);
            shift.select(1, 0).select(1, 0).select(1, 0).copy_(tensor(mask) * 0.1f);
            return images + shift;
        }
    }

    /// <summary>Class 0 iff pixel 0 &lt; 0.5 (logits 1 − 2x₀ and 2x₀ − 1); the other pixels do not matter.</summary>
    private static ToyModels.Linear Threshold() => new(new float[,] { { -2, 0 }, { 2, 0 } }, new float[] { 1, -1 });

    private static ImageDataset PointsAt(float value, int count)
    {
        var images = full(new long[] { count, 1, 1, 2 }, value);
        return new ImageDataset("toy", images, zeros(count, dtype: ScalarType.Int64), ["low", "high"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TwoAttacksThatBreakDisjointHalvesLeaveNothingRobust(bool earlyExit)
    {
        using var model = Threshold();
        using var data = PointsAt(0.45f, 10);
        var even = new BreaksParity(model, 0);
        var odd = new BreaksParity(model, 1);
        var report = WorstCaseEvaluator.Evaluate(model, data, [even, odd], Norm.LInf, 0.1, earlyExit: earlyExit, batchSize: 4);

        Assert.Equal(1.0, report.CleanAccuracy);
        Assert.Equal(0.0, report.RobustAccuracy);   // not 50 %: every point fell to one of the two attacks
        Assert.Equal(new[] { 5, 5 }, report.Stages.Select(s => s.Broken));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i % 2), report.BrokenBy);
        if (earlyExit)
        {
            Assert.Equal(5, odd.RowsAttacked);            // only the points the first attack left standing
            Assert.All(report.Stages, s => Assert.Null(s.OwnAccuracy));
        }
        else
        {
            Assert.Equal(10, odd.RowsAttacked);
            Assert.All(report.Stages, s => Assert.Equal(0.5, s.OwnAccuracy));   // each alone: 50 %, the old "strongest"
        }
    }

    [Fact]
    public void AnAttackThatLeavesTheBudgetIsRefused()
    {
        using var model = Threshold();
        using var data = PointsAt(0.45f, 4);
        var error = Assert.Throws<InvalidOperationException>(() =>
            WorstCaseEvaluator.Evaluate(model, data, [new BreaksParity(model, 0)], Norm.LInf, 0.05));
        Assert.Contains("above the evaluation budget", error.Message);
    }

    [Fact]
    public void PerPointAccountingIsTheMinimumOverTheAttacks()
    {
        using var scope = NewDisposeScope();
        using var data = fixture.Test.Take(60);
        const double eps = 0.03;
        var model = fixture.Model;
        Attack[] attacks =
        [
            new Fgsm(model, eps),
            new Pgd(model, eps, steps: 10, seed: 3),
            new ApgdTargeted(model, eps, iterations: 10, targetClasses: 3, seed: 3),
        ];
        var report = WorstCaseEvaluator.Evaluate(model, data, attacks, Norm.LInf, eps, batchSize: 25);

        // Each attack alone, on every point with the same ids: correct[a][i].
        var ids = Enumerable.Range(0, data.Count).Select(i => (long)i).ToArray();
        bool[] Correct(Tensor x)
        {
            using var noGrad = no_grad();
            return model.forward(x).argmax(1).eq(data.Labels).data<bool>().ToArray();
        }
        var clean = Correct(data.Images);
        var perAttack = attacks.Select(a => Correct(a.Run(data.Images, data.Labels, ids))).ToArray();
        for (int i = 0; i < data.Count; i++)
        {
            bool robust = clean[i] && perAttack.All(c => c[i]);
            Assert.Equal(robust, report.BrokenBy[i] == WorstCaseReport.Robust);
            if (clean[i] && !robust)
                Assert.Equal(Array.FindIndex(perAttack, c => !c[i]), report.BrokenBy[i]);
        }
        int minimum = Enumerable.Range(0, data.Count).Count(i => clean[i] && perAttack.All(c => c[i]));
        Assert.Equal(minimum, report.RobustCount);
    }

    [Fact]
    public void EarlyExitGivesExactlyTheFullEvaluation()
    {
        using var data = fixture.Test.Take(48);
        const double eps = 0.03;
        var model = fixture.Model;
        // Early exit both between attacks (evaluator) and within them (StopWhenFooled), against neither; other batch sizes too.
        Attack[] Attacks(bool stop) =>
        [
            new Apgd(model, eps, iterations: 15, seed: 1) { StopWhenFooled = stop },
            new ApgdTargeted(model, eps, iterations: 15, targetClasses: 3, seed: 1) { StopWhenFooled = stop },
            new FabTargeted(model, eps, iterations: 15, targetClasses: 3) { StopWhenFooled = stop },
            new SquareAttack(model, eps, maxQueries: 150, seed: 1),
        ];
        var early = WorstCaseEvaluator.Evaluate(model, data, Attacks(true), Norm.LInf, eps, batchSize: 20, earlyExit: true);
        var full = WorstCaseEvaluator.Evaluate(model, data, Attacks(false), Norm.LInf, eps, batchSize: 16, earlyExit: false);
        Assert.Equal(full.BrokenBy, early.BrokenBy);
        Assert.Equal(full.Stages.Select(s => (s.Broken, s.RobustAfter)), early.Stages.Select(s => (s.Broken, s.RobustAfter)));
        Assert.True(early.Stages.Sum(s => s.Attacked) < full.Stages.Sum(s => s.Attacked));
        Assert.True(full.RobustCount < full.CleanCorrect, "the test needs an ε at which the attacks break something");
    }

    [Fact]
    public void ApgdStoppingFooledPointsChangesNoOutcome()
    {
        using var scope = NewDisposeScope();
        using var data = fixture.Test.Take(64);
        var model = fixture.Model;
        bool[] Broken(bool stop, Norm norm, double eps)
        {
            var attack = new Apgd(model, eps, iterations: 30, seed: 2, norm: norm) { StopWhenFooled = stop };
            var adversarial = attack.Run(data.Images, data.Labels);
            Assert.True(Perturbations.Norms(adversarial - data.Images, norm).max().item<float>() <= eps * (1 + 1e-5) + 1e-6);
            using var noGrad = no_grad();
            return model.forward(adversarial).argmax(1).ne(data.Labels).data<bool>().ToArray();
        }
        Assert.Equal(Broken(false, Norm.LInf, 0.03), Broken(true, Norm.LInf, 0.03));
        Assert.Equal(Broken(false, Norm.L2, 0.5), Broken(true, Norm.L2, 0.5));
    }

    [Fact]
    public void ProtocolWithEarlyExitEqualsTheFullProtocolAndReportsTheWorstCase()
    {
        using var data = fixture.Test.Take(80);
        var early = new RobustnessProtocol(0.03, pgdSteps: 5, pgdRestarts: 2, apgdIterations: 20).Evaluate(fixture.Model, data);
        var full = new RobustnessProtocol(0.03, pgdSteps: 5, pgdRestarts: 2, apgdIterations: 20) { EarlyExit = false }.Evaluate(fixture.Model, data);
        Assert.Equal(full.WorstCase.BrokenBy, early.WorstCase.BrokenBy);
        Assert.Equal(full.Rows.Select(r => r.Accuracy), early.Rows.Select(r => r.Accuracy));
        // The headline is the per-point worst case, at most the lowest single-attack accuracy.
        Assert.True(full.RobustAccuracy <= full.Rows.Skip(1).Min(r => r.OwnAccuracy!.Value) + 1e-12);
        Assert.Equal(full.RobustAccuracy, full.Rows[^1].Accuracy, 12);
        Assert.Contains("per-point worst case", early.ToMarkdown());
    }

    [Fact]
    public void NestedSweepAttacksOnlyTheSurvivorsAndNeverReportsMoreThanTheFullSweep()
    {
        using var data = fixture.Test.Take(60);
        var model = fixture.Model;
        double[] epsilons = [0.05, 0.01, 0.03];
        var nested = RobustnessEvaluator.Sweep(model, data, epsilons, e => new Pgd(model, e, steps: 5, seed: 0), log: TextWriter.Null);
        var separate = RobustnessEvaluator.Sweep(model, data, epsilons, e => new Pgd(model, e, steps: 5, seed: 0), log: TextWriter.Null, nested: false);
        Assert.Equal(epsilons, nested.Select(r => r.Epsilon!.Value));
        // The smallest ε is attacked on the same points either way; larger ones can only lose points that a smaller ε broke.
        Assert.Equal(separate[1].RobustAccuracy, nested[1].RobustAccuracy, 12);
        for (int e = 0; e < epsilons.Length; e++) Assert.True(nested[e].RobustAccuracy <= separate[e].RobustAccuracy + 1e-12);
        Assert.True(nested[1].RobustAccuracy >= nested[2].RobustAccuracy && nested[2].RobustAccuracy >= nested[0].RobustAccuracy);
    }

    [Fact]
    public void WilsonIntervalMatchesAHandComputationAndContainsClopperPearsonsCentre()
    {
        // k = 7, n = 10, z = 1.959964: centre (0.7 + z²/20)/(1 + z²/10), half-width z/(1 + z²/10)·√(0.021 + z²/400).
        double z = 1.959963984540054, z2 = z * z;
        double centre = (0.7 + z2 / 20) / (1 + z2 / 10), half = z / (1 + z2 / 10) * Math.Sqrt(0.7 * 0.3 / 10 + z2 / 400);
        var wilson = Proportion.Wilson(7, 10);
        Assert.Equal(centre - half, wilson.Lower, 9);
        Assert.Equal(centre + half, wilson.Upper, 9);
        Assert.Equal(0.3967781, wilson.Lower, 6);   // published value for 7/10 (e.g. R's prop.test without continuity correction)
        var exact = Proportion.ClopperPearsonInterval(7, 10);
        Assert.True(exact.Lower < wilson.Lower && exact.Upper > wilson.Upper);   // the exact interval is the wider one
        Assert.Equal(0, Proportion.Wilson(0, 20).Lower);
        Assert.Throws<ArgumentOutOfRangeException>(() => Proportion.Wilson(3, 2));
    }

    [Fact]
    public void PartsEvaluatedWithTheirOffsetsCombineToTheOneRunResult()
    {
        using var model = Threshold();
        using var data = PointsAt(0.45f, 10);
        var whole = WorstCaseEvaluator.Evaluate(model, data, [new BreaksParity(model, 0)], Norm.LInf, 0.1, batchSize: 4);

        var even = new BreaksParity(model, 0);
        var parts = new List<WorstCaseReport>();
        foreach (var (start, length) in new[] { (0, 3), (3, 4), (7, 3) })
        {
            using var part = data.Select(Enumerable.Range(start, length).Select(i => (long)i).ToArray());
            parts.Add(WorstCaseEvaluator.Evaluate(model, part, [even], Norm.LInf, 0.1, batchSize: 4, firstId: start));
        }
        var combined = WorstCaseReport.Combine(parts);

        Assert.Equal(whole.BrokenBy, combined.BrokenBy);   // ids 3 and 7 start odd-length parts: offsets keep the parity
        Assert.Equal(whole.Count, combined.Count);
        Assert.Equal(whole.RobustCount, combined.RobustCount);
        Assert.Equal(whole.Stages[0].Attacked, combined.Stages[0].Attacked);
        Assert.Equal(5, combined.RobustCount);

        // Without the offsets every part would restart at id 0 and break other points.
        using var shifted = data.Select([3, 4, 5, 6]);
        var wrong = WorstCaseEvaluator.Evaluate(model, shifted, [even], Norm.LInf, 0.1);
        Assert.NotEqual(whole.BrokenBy.Skip(3).Take(4), wrong.BrokenBy);
    }

    [Fact]
    public void CombineRefusesPartsOfDifferentEvaluations()
    {
        using var model = Threshold();
        using var data = PointsAt(0.45f, 4);
        var a = WorstCaseEvaluator.Evaluate(model, data, [new BreaksParity(model, 0)], Norm.LInf, 0.1);
        var b = WorstCaseEvaluator.Evaluate(model, data, [new BreaksParity(model, 0)], Norm.LInf, 0.2);
        var error = Assert.Throws<ArgumentException>(() => WorstCaseReport.Combine([a, b]));
        Assert.Contains("one evaluation", error.Message);
        Assert.Throws<ArgumentException>(() => WorstCaseReport.Combine([]));
    }
}
