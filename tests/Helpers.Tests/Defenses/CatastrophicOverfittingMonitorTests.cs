using ModelSecurity.Data;
using ModelSecurity.Defenses;
using ModelSecurity.Models;
using ModelSecurity.Tests.Support;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Defenses;

public class CatastrophicOverfittingMonitorTests(TrainedMlpFixture fixture) : IClassFixture<TrainedMlpFixture>
{
    private const double Eps = 0.005; // small enough that the standard test MLP keeps a clear PGD accuracy

    private static EpochRecord Epoch(int epoch) => new(epoch, 0, 0, null, 1e-3, 1, 1);

    /// <summary>A copy of the fixture's MLP, so that the tests can wreck it.</summary>
    private nn.Module<Tensor, Tensor> Copy()
    {
        var model = ModelZoo.Create("mlp");
        using var noGrad = no_grad();
        var source = fixture.Model.state_dict();
        foreach (var (name, tensor) in model.state_dict()) tensor.copy_(source[name]);
        model.eval();
        return model;
    }

    private static List<Tensor> Weights(nn.Module<Tensor, Tensor> model) => model.parameters().Select(p => p.detach().clone()).ToList();

    private static bool Same(List<Tensor> a, nn.Module<Tensor, Tensor> model) =>
        model.parameters().Select((p, i) => p.eq(a[i]).all().item<bool>()).All(x => x);

    private static void Wreck(nn.Module<Tensor, Tensor> model)
    {
        using var noGrad = no_grad();
        foreach (var p in model.parameters()) p.zero_(); // constant logits: every image gets class 0
    }

    [Fact]
    public void StopsOnACollapseAndRestoresTheBestWeights()
    {
        using var scope = NewDisposeScope();
        using var model = Copy();
        using var heldOut = fixture.Test.Take(200);
        var log = new StringWriter();
        using var monitor = new CatastrophicOverfittingMonitor(heldOut, Eps, steps: 5, log: log);

        Assert.False(monitor.Check(model, Epoch(1)));
        double first = monitor.BestAccuracy;
        Assert.True(first > 0.4, $"precondition: the MLP should keep PGD accuracy at ε = {Eps}; got {first:P1}");
        var bestWeights = Weights(model);
        Assert.False(monitor.Check(model, Epoch(2)), "an unchanged model is no collapse");
        Assert.Equal(2, monitor.BestEpoch); // the latest of equals

        Wreck(model);
        Assert.True(monitor.Check(model, Epoch(3)), "PGD accuracy fell to chance: the monitor must stop training");
        Assert.True(monitor.Collapsed);
        Assert.Equal(3, monitor.CollapseEpoch);
        Assert.Equal(new[] { 1, 2, 3 }, monitor.Checks.Select(c => c.Epoch));
        Assert.True(monitor.Checks[2].PgdAccuracy < first - 0.2);
        Assert.True(Same(bestWeights, model), "the best epoch's weights were not restored");
        Assert.Contains("catastrophic overfitting", monitor.Reason);
        Assert.Contains("epoch 2 restored", monitor.Reason);
        Assert.Contains("Stopping", log.ToString());
        Assert.Equal("true", monitor.Describe()["earlyStoppingCollapsed"]);
        Assert.Equal("2", monitor.Describe()["earlyStoppingBestEpoch"]);
        Assert.True(monitor.Check(model, Epoch(4)), "once collapsed, the monitor keeps saying stop");
    }

    [Fact]
    public void SmallDropsAreNoCollapseAndAFloorCanBeSet()
    {
        using var scope = NewDisposeScope();
        using var model = Copy();
        using var heldOut = fixture.Test.Take(200);
        using var lenient = new CatastrophicOverfittingMonitor(heldOut, Eps, steps: 5, maxDrop: 1.0);
        Assert.False(lenient.Check(model, Epoch(1)));
        double best = lenient.BestAccuracy;
        using var floored = new CatastrophicOverfittingMonitor(heldOut, Eps, steps: 5, maxDrop: 1.0, collapseBelow: best - 0.05) { RestoreBestOnCollapse = false };
        Assert.False(floored.Check(model, Epoch(1)));
        var before = Weights(model);
        Wreck(model);
        Assert.False(lenient.Check(model, Epoch(2)), "a drop within maxDrop is no collapse");
        Assert.False(lenient.Collapsed);
        Assert.True(floored.Check(model, Epoch(2)), "falling below the floor is a collapse");
        Assert.Contains("below", floored.Reason);
        Assert.True(model.parameters().All(p => p.abs().sum().item<float>() == 0), "RestoreBestOnCollapse = false must leave the weights alone");
        floored.RestoreBest(model);
        Assert.True(Same(before, model), "RestoreBest must bring back epoch 1's weights");
    }

    [Fact]
    public void AsTheTrainersCheckItEndsTrainingAndLeavesTheBestEpochsWeights()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var heldOut = fixture.Test.Take(200);
        using var monitor = new CatastrophicOverfittingMonitor(heldOut, Eps, steps: 5);
        Reproducibility.Seed(4);
        using var model = ModelZoo.Create("mlp");
        List<Tensor>? afterEpoch2 = null;
        var trainer = new Trainer(SilentTrainingReporter.Instance)
        {
            StopAfterEpoch = (m, record) =>
            {
                if (record.Epoch == 2) afterEpoch2 = Weights(m);
                if (record.Epoch == 3) Wreck(m); // a simulated collapse in the third epoch
                return monitor.Check(m, record);
            },
        };
        var recipe = new TrainingRecipe { Name = "monitor", Architecture = "mlp", Epochs = 5, BatchSize = 50, LearningRate = 2e-3, Seed = 4, TrainSubset = 2000 };
        var history = trainer.Fit(model, train, recipe, CPU);
        Assert.True(history.StoppedEarly);
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(2, monitor.BestEpoch);
        Assert.True(Same(afterEpoch2!, model), "training should end with epoch 2's weights");
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        using var heldOut = fixture.Test.Take(10);
        using var empty = fixture.Test.Take(0);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new CatastrophicOverfittingMonitor(empty, 0.1)).Message);
        Assert.Contains("maxDrop", Assert.Throws<ArgumentOutOfRangeException>(() => new CatastrophicOverfittingMonitor(heldOut, 0.1, maxDrop: 0)).Message);
        Assert.Contains("collapseBelow", Assert.Throws<ArgumentOutOfRangeException>(() => new CatastrophicOverfittingMonitor(heldOut, 0.1, collapseBelow: 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CatastrophicOverfittingMonitor(heldOut, -0.1));
        using var monitor = new CatastrophicOverfittingMonitor(heldOut, 0.1);
        Assert.Contains("No PGD check", Assert.Throws<InvalidOperationException>(() => monitor.RestoreBest(fixture.Model)).Message);
        monitor.Dispose();
        Assert.Throws<ObjectDisposedException>(() => monitor.Check(fixture.Model, Epoch(1)));
    }
}
