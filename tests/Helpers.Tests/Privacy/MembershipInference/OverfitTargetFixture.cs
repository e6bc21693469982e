using ModelSecurity.Data;
using ModelSecurity.Models;
using ModelSecurity.Training;
using static TorchSharp.torch;

namespace ModelSecurity.Tests.Privacy.MembershipInference;

/// <summary>
/// An MLP overfit (80 epochs) to 300 Fashion-MNIST training images, with disjoint sets for the attacks:
/// 200 evaluation members, 100 calibration members (both in its training set), 200 + 100 non-members from the
/// test split, and 400 further training images owned by the attacker.
/// </summary>
public sealed class OverfitTargetFixture : IDisposable
{
    public static readonly TrainingRecipe Recipe = new()
    {
        Name = "mia-overfit", Architecture = "mlp", Epochs = 80, BatchSize = 50, LearningRate = 2e-3, Seed = 11,
    };

    public OverfitTargetFixture()
    {
        using var train = FashionMnist.Load(DataSplit.Train);
        using var pool = train.Subset(700, seed: 21);
        long[] order = Enumerable.Range(0, 700).Select(i => (long)i).ToArray();
        new Random(5).Shuffle(order);
        TargetTrain = pool.Select(order[..300]);
        Members = TargetTrain.Take(200);
        CalibrationMembers = TargetTrain.Select(Enumerable.Range(200, 100).Select(i => (long)i).ToArray());
        AttackerData = pool.Select(order[300..]);

        using var test = FashionMnist.Load(DataSplit.Test);
        using var outside = test.Subset(300, seed: 22);
        NonMembers = outside.Take(200);
        CalibrationNonMembers = outside.Select(Enumerable.Range(200, 100).Select(i => (long)i).ToArray());

        Reproducibility.Seed(Recipe.Seed);
        Target = ModelZoo.Create("mlp");
        new Trainer(SilentTrainingReporter.Instance).Fit(Target, TargetTrain, Recipe, CPU);
        TrainAccuracy = Evaluator.Evaluate(Target, TargetTrain).Accuracy;
        HeldOutAccuracy = Evaluator.Evaluate(Target, NonMembers).Accuracy;
    }

    public nn.Module<Tensor, Tensor> Target { get; }
    public ImageDataset TargetTrain { get; }
    public ImageDataset Members { get; }
    public ImageDataset CalibrationMembers { get; }
    public ImageDataset NonMembers { get; }
    public ImageDataset CalibrationNonMembers { get; }
    public ImageDataset AttackerData { get; }
    public double TrainAccuracy { get; }
    public double HeldOutAccuracy { get; }

    public void Dispose()
    {
        Target.Dispose();
        foreach (var d in new[] { TargetTrain, Members, CalibrationMembers, NonMembers, CalibrationNonMembers, AttackerData }) d.Dispose();
    }
}
