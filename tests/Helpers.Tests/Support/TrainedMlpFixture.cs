using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Support;

/// <summary>A small MLP trained in a second or two on part of Fashion-MNIST, shared by a test class.</summary>
public class TrainedMlpFixture : IDisposable
{
    public TrainedMlpFixture() : this(objective: null, testCount: 300, testSeed: 2)
    {
    }

    /// <summary>The same MLP and recipe (6000 training images, 3 epochs of Adam) with another objective and test subset.</summary>
    protected TrainedMlpFixture(ITrainingObjective? objective, int testCount, int testSeed)
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var subset = train.Subset(6000, seed: 1);
        var recipe = new TrainingRecipe { Name = "test-mlp", Architecture = "mlp", Epochs = 3, BatchSize = 100, LearningRate = 2e-3, Seed = 1 };
        Reproducibility.Seed(recipe.Seed);
        Model = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(Model, subset, recipe, CPU, objective: objective);
        using var test = FashionMnist.Load(DataSplit.Test);
        Test = test.Subset(testCount, seed: testSeed);
        Model.eval();
    }

    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Random test examples (300 by default).</summary>
    public ImageDataset Test { get; }

    public void Dispose()
    {
        Test.Dispose();
        Model.Dispose();
        GC.SuppressFinalize(this);
    }
}
