using ModelSecurity.Attacks;
using ModelSecurity.Tests.Support;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Attacks;

public class ApgdTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private readonly nn.Module<Tensor, Tensor> _model = fixture.Model;

    private double Accuracy(Tensor images, Tensor labels)
    {
        using var noGrad = no_grad();
        return _model.forward(images).argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>The paper's formula, in exact decimal arithmetic: p₀ = 0, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06), w_j = ⌈p_j·N⌉.</summary>
    private static List<int> PaperCheckpoints(int iterations)
    {
        var result = new List<int>();
        decimal previous = 0m, current = 0.22m;
        while (current <= 1m)
        {
            int w = (int)Math.Ceiling(current * iterations);
            if (!result.Contains(w)) result.Add(w);
            (previous, current) = (current, current + Math.Max(current - previous - 0.03m, 0.06m));
        }
        return result;
    }

    [Fact]
    public void CheckpointScheduleForOneHundredIterationsFollowsThePaper()
    {
        var expected = PaperCheckpoints(100);
        Assert.Equal(expected, Apgd.CheckpointSchedule(100));
        Assert.Equal(new[] { 22, 41, 57, 70, 80, 87, 93, 99 }, expected); // the formula worked by hand
        Assert.Equal(expected, new Apgd(_model, 0.1).Checkpoints);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20)]
    [InlineData(1000)]
    public void CheckpointScheduleFollowsThePaperForOtherBudgets(int iterations)
    {
        Assert.Equal(PaperCheckpoints(iterations), Apgd.CheckpointSchedule(iterations));
        Assert.All(Apgd.CheckpointSchedule(iterations), w => Assert.InRange(w, 1, iterations));
    }

    [Fact]
    public void ApgdIsAtLeastAsStrongAsPgdWithTheSameIterations()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images;
        var labels = fixture.Test.Labels;
        const double eps = 0.03; // where the test MLP is neither intact nor broken, so the comparison means something
        double pgd = Accuracy(new Pgd(_model, eps, steps: 100, seed: 4).Run(images, labels), labels);
        double apgd = Accuracy(new Apgd(_model, eps, iterations: 100, seed: 4).Run(images, labels), labels);
        double clean = Accuracy(images, labels);
        Assert.True(apgd < clean - 0.2, $"APGD should break many examples at ε = {eps}: clean {clean:P1}, APGD {apgd:P1}");
        Assert.True(apgd <= pgd + 0.01, $"APGD-CE-100 ({apgd:P1}) should be at least as strong as PGD-100 ({pgd:P1})");
        // The first run of a restarted APGD is the single run (same seed); later runs can only fool more examples.
        double restarted = Accuracy(new Apgd(_model, eps, iterations: 100, restarts: 2, seed: 4).Run(images, labels), labels);
        Assert.True(restarted <= apgd + 1e-9, $"restarts can only add fooled examples: {restarted:P1} vs {apgd:P1}");
    }

    [Fact]
    public void ApgdReturnsTheHighestLossPointWhereItFails()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 64);
        var labels = fixture.Test.Labels.narrow(0, 0, 64);
        // At a tiny ε most examples survive; for them the result must be at least as bad for the model as the start.
        const double eps = 0.005;
        var adversarial = new Apgd(_model, eps, iterations: 30, seed: 2).Run(images, labels);
        using var noGrad = no_grad();
        var lossClean = nn.functional.cross_entropy(_model.forward(images), labels, reduction: nn.Reduction.None);
        var lossAdversarial = nn.functional.cross_entropy(_model.forward(adversarial), labels, reduction: nn.Reduction.None);
        Assert.True(lossAdversarial.ge(lossClean).all().item<bool>(), "APGD lowered the loss of some example below its clean loss");
        Assert.True(Perturbations.Norms(adversarial - images, Norm.LInf).max().item<float>() <= eps + 1e-6);
    }

    [Fact]
    public void ApgdTargetedReachesTheTarget()
    {
        using var scope = NewDisposeScope();
        var images = fixture.Test.Images.narrow(0, 0, 64);
        var labels = fixture.Test.Labels.narrow(0, 0, 64);
        var targets = (labels + 1).remainder(10);
        var adversarial = new Apgd(_model, 0.3, iterations: 30, seed: 1).RunTargeted(images, targets);
        double reached = Accuracy(adversarial, targets);
        Assert.True(reached > 0.9, $"targeted APGD should reach the target on almost every example; reached {reached:P1}");
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        Assert.Contains("finite", Assert.Throws<ArgumentOutOfRangeException>(() => new Apgd(_model, double.NaN)).Message);
        Assert.Contains("iterations", Assert.Throws<ArgumentOutOfRangeException>(() => new Apgd(_model, 0.1, iterations: 0)).Message);
        Assert.Contains("restarts", Assert.Throws<ArgumentOutOfRangeException>(() => new Apgd(_model, 0.1, restarts: 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Apgd.CheckpointSchedule(0));
        Assert.Throws<ArgumentNullException>(() => new Apgd(null!, 0.1));
    }
}
