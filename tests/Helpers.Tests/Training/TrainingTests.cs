using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Training;

public class TrainingTests
{
    private static TrainingRecipe SmallRecipe => new()
    {
        Name = "unit", Architecture = "mlp", Epochs = 2, BatchSize = 50, LearningRate = 2e-3, Seed = 7, TrainSubset = 1000,
    };

    private static (nn.Module<Tensor, Tensor> Model, TrainingHistory History) Train(TrainingRecipe recipe, ImageDataset data, ImageDataset? validation = null)
    {
        Reproducibility.Seed(recipe.Seed);
        var model = ModelZoo.Create(recipe.Architecture);
        var history = new Trainer(SilentTrainingReporter.Instance).Fit(model, data, recipe, CPU, validation);
        return (model, history);
    }

    [Fact]
    public void TheSameRecipeTwiceGivesTheSameModel()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        var (first, _) = Train(SmallRecipe, train);
        var (second, _) = Train(SmallRecipe, train);
        var (other, _) = Train(SmallRecipe with { Seed = 8 }, train);
        var a = first.parameters().ToList();
        var b = second.parameters().ToList();
        var c = other.parameters().ToList();
        Assert.All(Enumerable.Range(0, a.Count), i => Assert.True(a[i].eq(b[i]).all().item<bool>(), $"parameter {i} differs"));
        Assert.Contains(Enumerable.Range(0, a.Count), i => !a[i].eq(c[i]).all().item<bool>());
    }

    [Fact]
    public void TrainingLearnsAndRecordsEveryEpoch()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var test = FashionMnist.Load(DataSplit.Test);
        using var validation = test.Take(500);
        var (model, history) = Train(SmallRecipe with { Epochs = 3 }, train, validation);
        Assert.Equal(new[] { 1, 2, 3 }, history.Epochs.Select(e => e.Epoch));
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss, "loss should fall");
        Assert.All(history.Epochs, e => Assert.NotNull(e.ValidationAccuracy));
        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.6, $"an MLP on 1000 examples should pass 60%, got {history.Epochs[^1].ValidationAccuracy:P1}");
        Assert.False(model.training, "the trainer leaves the model in eval mode");
    }

    [Fact]
    public void TheReporterSeesProgressAndEpochs()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        var output = new StringWriter();
        Reproducibility.Seed(1);
        new Trainer(new ConsoleTrainingReporter(2, output)).Fit(ModelZoo.Create("linear"), train, SmallRecipe with { Epochs = 1 }, CPU);
        string text = output.ToString();
        Assert.Contains("batch", text);
        Assert.Contains("samples/s", text);
        Assert.Contains("epoch 1/1:", text);
    }

    [Fact]
    public void EarlyStoppingEndsTraining()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        Reproducibility.Seed(1);
        var trainer = new Trainer(SilentTrainingReporter.Instance) { StopAfterEpoch = (_, record) => record.Epoch == 2 };
        var history = trainer.Fit(ModelZoo.Create("linear"), train, SmallRecipe with { Epochs = 5 }, CPU);
        Assert.Equal(2, history.Epochs.Count);
        Assert.True(history.StoppedEarly);
    }

    [Fact]
    public void EvaluationCountsEveryExampleOnceAndPerClassAgrees()
    {
        using var test = FashionMnist.Load(DataSplit.Test);
        using var subset = test.Take(700);
        Reproducibility.Seed(3);
        var model = ModelZoo.Create("linear");
        var result = Evaluator.Evaluate(model, subset, CPU, batchSize: 128);
        Assert.Equal(700, result.Count);
        int total = 0, correct = 0;
        for (int t = 0; t < 10; t++)
            for (int p = 0; p < 10; p++)
            {
                total += result.ConfusionMatrix[t, p];
                if (t == p) correct += result.ConfusionMatrix[t, p];
            }
        Assert.Equal(700, total);
        Assert.Equal((double)correct / 700, result.Accuracy, 12);
        Assert.Equal(700, result.PerClass.Sum(c => c.Count));
        Assert.Equal("Ankle boot", result.PerClass[9].Name);
        Assert.True(model.training, "evaluation restores the model's mode");
    }

    [Fact]
    public void RecipesValidateAndRoundTripThroughJson()
    {
        var recipe = Recipes.Baseline;
        Assert.Equal(recipe, TrainingRecipe.FromJson(recipe.ToJson()));
        Assert.Equal("kolter-madry-cnn", recipe.ToJson()["architecture"]!.GetValue<string>());
        Assert.Contains("Epochs", Assert.Throws<ArgumentException>(() => (recipe with { Epochs = 0 }).Validate()).Message);
        Assert.Contains("LearningRate", Assert.Throws<ArgumentException>(() => (recipe with { LearningRate = double.NaN }).Validate()).Message);
        Assert.Contains("cosine", Assert.Throws<ArgumentException>(() => (recipe with { Schedule = "linear" }).Validate()).Message);
        Assert.Contains("sgd", Assert.Throws<ArgumentException>(() => (recipe with { Optimizer = "rmsprop" }).Validate()).Message);
    }

    [Theory]
    [InlineData("constant", 0.0, 1.0)]
    [InlineData("constant", 9.9, 1.0)]
    [InlineData("cosine", 0.0, 1.0)]
    [InlineData("cosine", 5.0, 0.5)]
    [InlineData("cosine", 10.0, 0.0)]
    [InlineData("step", 4.9, 1.0)]
    [InlineData("step", 5.0, 0.1)]
    [InlineData("step", 7.5, 0.01)]
    [InlineData("one-cycle", 0.0, 0.0)]
    [InlineData("one-cycle", 4.0, 1.0)]
    [InlineData("one-cycle", 7.0, 0.5)]
    [InlineData("one-cycle", 10.0, 0.0)]
    public void LearningRateSchedulesHaveTheirShape(string name, double epochs, double expected) =>
        Assert.Equal(expected, LearningRateSchedules.Create(name, 10).FactorAt(epochs), 9);
}
