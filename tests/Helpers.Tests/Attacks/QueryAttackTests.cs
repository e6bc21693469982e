using ModelSecurity.Attacks;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class QueryAttackTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    /// <summary>Forwards to the fixture's model and counts the rows it is asked about.</summary>
    private sealed class CountingModel : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> inner;

        public CountingModel(nn.Module<Tensor, Tensor> model) : base("counting")
        {
            inner = model;
            RegisterComponents();
        }

        public long Rows { get; private set; }

        public override Tensor forward(Tensor input)
        {
            Rows += input.shape[0];
            return inner.forward(input);
        }
    }

    private (Tensor Images, Tensor Labels) CorrectlyClassified(int count)
    {
        using var noGrad = no_grad();
        var images = fixture.Test.Images.narrow(0, 0, 100);
        var labels = fixture.Test.Labels.narrow(0, 0, 100);
        var correct = nonzero(fixture.Model.forward(images).argmax(1).eq(labels)).squeeze(1).narrow(0, 0, count);
        return (images.index_select(0, correct), labels.index_select(0, correct));
    }

    private double Accuracy(Tensor images, Tensor labels)
    {
        using var noGrad = no_grad();
        return fixture.Model.forward(images).argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }

    [Fact]
    public void SquareAttackStaysInTheBallCountsItsQueriesAndFoolsTheModel()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = CorrectlyClassified(24);
        var counting = new CountingModel(fixture.Model);
        var attack = new SquareAttack(counting, 0.1, maxQueries: 300, seed: 1);
        var adversarial = attack.Run(images, labels);
        var stats = attack.LastRun!;

        Assert.True(Perturbations.Norms(adversarial - images, Norm.LInf).max().item<float>() <= 0.1 + 1e-6);
        Assert.True(adversarial.min().item<float>() >= 0 && adversarial.max().item<float>() <= 1);
        Assert.Equal(counting.Rows - 1, stats.TotalQueries); // 1: the base class's label check
        Assert.All(stats.QueriesPerExample, q => Assert.InRange(q, 1, 300));
        // Examples not fooled used the whole budget; fooled ones are misclassified by the model.
        using var noGrad = no_grad();
        var predictions = fixture.Model.forward(adversarial).argmax(1).cpu().data<long>().ToArray();
        var truth = labels.cpu().data<long>().ToArray();
        for (int i = 0; i < truth.Length; i++)
        {
            Assert.Equal(stats.SucceededPerExample[i], predictions[i] != truth[i]);
            if (!stats.SucceededPerExample[i]) Assert.Equal(300, stats.QueriesPerExample[i]);
        }
        Assert.True(stats.SuccessRate >= 0.3, $"Square fooled only {stats.SuccessRate:P0} of an MLP at ε = 0.1 with 300 queries");
        Assert.Equal(1 - stats.SuccessRate, Accuracy(adversarial, labels), 6);
    }

    [Fact]
    public void SquareScheduleHalvesTheWindowAsInThePaper()
    {
        Assert.Equal(0.8, SquareAttack.Fraction(0.8, 0, 10000));
        Assert.Equal(0.4, SquareAttack.Fraction(0.8, 11, 10000));
        Assert.Equal(0.8 / 512, SquareAttack.Fraction(0.8, 9999, 10000));
        Assert.Equal(0.4, SquareAttack.Fraction(0.8, 2, 1000)); // rescaled: iteration 2 of 1000 is 20 of 10 000
        Assert.Equal(25, SquareAttack.WindowSide(0.8, 1, 28, 28));
        Assert.Equal(1, SquareAttack.WindowSide(1e-6, 1, 28, 28));
    }

    [Fact]
    public void HopSkipJumpFindsAdversarialsThatShrinkWithTheBudget()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = CorrectlyClassified(6);
        var counting = new CountingModel(fixture.Model);
        var small = new HopSkipJump(counting, maxQueries: 150, seed: 3);
        var large = new HopSkipJump(fixture.Model, maxQueries: 1500, seed: 3);
        var first = small.Run(images, labels);
        var second = large.Run(images, labels);

        Assert.Equal(0, Accuracy(first, labels));
        Assert.Equal(0, Accuracy(second, labels));
        Assert.Equal(counting.Rows - 1, small.LastRun!.TotalQueries);
        Assert.All(small.LastRun.QueriesPerExample, q => Assert.InRange(q, 1, 150));
        Assert.All(large.LastRun!.QueriesPerExample, q => Assert.InRange(q, 1, 1500));
        double smallMedian = small.LastDistances.OrderBy(d => d).ElementAt(3), largeMedian = large.LastDistances.OrderBy(d => d).ElementAt(3);
        Assert.True(largeMedian < 0.8 * smallMedian, $"median L2 distance {largeMedian:F3} with 1500 queries vs {smallMedian:F3} with 150");
    }

    [Fact]
    public void HopSkipJumpWithABudgetReturnsPointsInsideTheBall()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = CorrectlyClassified(4);
        var attack = new HopSkipJump(fixture.Model, maxQueries: 400, epsilon: 1.5, seed: 4);
        var adversarial = attack.Run(images, labels);
        Assert.True(Perturbations.Norms(adversarial - images, Norm.L2).max().item<float>() <= 1.5 + 1e-4);
        using var noGrad = no_grad();
        var fooled = fixture.Model.forward(adversarial).argmax(1).ne(labels).cpu().data<bool>().ToArray();
        Assert.Equal(attack.LastRun!.SucceededPerExample, fooled);
        Assert.Throws<NotSupportedException>(() => attack.RunTargeted(images, labels));
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SquareAttack(fixture.Model, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SquareAttack(fixture.Model, 0.1, maxQueries: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SquareAttack(fixture.Model, 0.1, initialFraction: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HopSkipJump(fixture.Model, epsilon: double.NaN));
    }
}
