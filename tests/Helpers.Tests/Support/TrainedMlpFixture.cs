using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Support;

/// <summary>A small MLP trained in a second or two on part of Fashion-MNIST, shared by a test class.</summary>
public sealed class TrainedMlpFixture : IDisposable
{
    public TrainedMlpFixture()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var subset = train.Subset(6000, seed: 1);
        var recipe = new TrainingRecipe { Name = "test-mlp", Architecture = "mlp", Epochs = 3, BatchSize = 100, LearningRate = 2e-3, Seed = 1 };
        Reproducibility.Seed(recipe.Seed);
        Model = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(Model, subset, recipe, CPU);
        using var test = FashionMnist.Load(DataSplit.Test);
        Test = test.Subset(300, seed: 2);
        Model.eval();
    }

    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>300 random test examples.</summary>
    public ImageDataset Test { get; }

    public void Dispose()
    {
        Test.Dispose();
        Model.Dispose();
    }
}
